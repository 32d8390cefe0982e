import { describe, expect, it } from "vitest";
import { holdsPermission, PERMISSIONS } from "./permissions.js";
import { effectiveRoles, isRole, permissionsIn, ROLE_PERMISSIONS, ROLES, type RoleBinding } from "./roles.js";

describe("roles", () => {
  it("grants only known permissions", () => {
    for (const role of ROLES) {
      for (const permission of ROLE_PERMISSIONS[role]) {
        expect(permission === "*" || (PERMISSIONS as readonly string[]).includes(permission)).toBe(true);
      }
    }
  });

  it("lets only owners and admins manage people, and no read-only role change or reveal anything", () => {
    const can = (role: (typeof ROLES)[number], permission: string) =>
      holdsPermission(ROLE_PERMISSIONS[role], permission);
    for (const role of ["developer", "auditor", "viewer"] as const)
      expect(can(role, "users:write")).toBe(false);
    for (const role of ["auditor", "viewer"] as const) {
      const writes = PERMISSIONS.filter(
        (p) =>
          p.endsWith(":write") ||
          p.endsWith(":reveal") ||
          ["create", "update", "revoke", "rotate"].some((v) => p.endsWith(`:${v}`)),
      );
      for (const permission of writes) expect(can(role, permission), `${role} ${permission}`).toBe(false);
    }
    expect(can("developer", "keys:rotate")).toBe(true);
    expect(can("developer", "secrets:reveal")).toBe(false);
    expect(can("auditor", "audit:read")).toBe(true);
    expect(can("viewer", "audit:read")).toBe(false);
  });

  it("unions the bindings that apply to a project", () => {
    const held = permissionsIn(
      [
        { role: "viewer", projectId: null },
        { role: "developer", projectId: "proj_a" },
      ],
      "proj_a",
    );
    expect(held).toEqual(expect.arrayContaining(["keys:read", "keys:create"]));
    expect(permissionsIn([{ role: "developer", projectId: "proj_a" }], "proj_b")).toEqual([]);
  });

  it("recognises role names", () => {
    expect(isRole("auditor")).toBe(true);
    expect(isRole("root")).toBe(false);
  });
});

describe("effectiveRoles()", () => {
  const inA: RoleBinding = { role: "developer", projectId: "proj_a" };
  const inB: RoleBinding = { role: "viewer", projectId: "proj_b" };
  const everywhere: RoleBinding = { role: "auditor", projectId: null };
  const none = new Set<string>();
  const onlyA = new Set(["proj_a"]);
  const aAndB = new Set(["proj_a", "proj_b"]);
  const elsewhere = new Set(["proj_z"]);

  it.each([
    // [case, bindings, twoFactorEnabled, projects requiring 2FA, kept bindings, mustEnrol]
    ["with 2FA, every binding stays", [inA, inB, everywhere], true, aAndB, [inA, inB, everywhere], false],
    ["with 2FA and no bindings, nothing to enrol for", [], true, aAndB, [], false],
    [
      "without 2FA and no project requiring it, nothing changes",
      [inA, everywhere],
      false,
      none,
      [inA, everywhere],
      false,
    ],
    ["without 2FA, the binding of a project requiring it is dropped", [inA, inB], false, onlyA, [inB], false],
    [
      "without 2FA, a requirement in an unrelated project drops nothing",
      [inA, inB],
      false,
      elsewhere,
      [inA, inB],
      false,
    ],
    ["without 2FA, every binding dropped means enrol", [inA, inB], false, aAndB, [], true],
    ["without 2FA, a lone dropped binding means enrol", [inA], false, onlyA, [], true],
    [
      "without 2FA, an instance-wide binding while a project requires 2FA means enrol",
      [everywhere],
      false,
      elsewhere,
      [everywhere],
      true,
    ],
    [
      "without 2FA, an instance-wide binding beside a dropped one means enrol",
      [everywhere, inA, inB],
      false,
      onlyA,
      [everywhere, inB],
      true,
    ],
    [
      "without 2FA, an instance-wide binding and no requirement anywhere is fine",
      [everywhere],
      false,
      none,
      [everywhere],
      false,
    ],
    ["without 2FA and no bindings at all, nothing to enrol for", [], false, aAndB, [], false],
  ] as const)("%s", (_name, roles, twoFactorEnabled, projectsRequiring2fa, kept, mustEnrol) => {
    const result = effectiveRoles(roles, { twoFactorEnabled, projectsRequiring2fa });
    expect(result).toEqual({ roles: kept, mustEnrol });
  });

  it("returns a new array, never the caller's", () => {
    const roles = [inA];
    expect(effectiveRoles(roles, { twoFactorEnabled: true, projectsRequiring2fa: none }).roles).not.toBe(
      roles,
    );
    expect(effectiveRoles(roles, { twoFactorEnabled: false, projectsRequiring2fa: none }).roles).not.toBe(
      roles,
    );
  });
});
