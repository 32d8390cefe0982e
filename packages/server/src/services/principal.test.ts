import type { RoleBinding } from "@keyward/core/roles.js";
import { describe, expect, it } from "vitest";
import { canAccessProject, requirePermission, type UserIdentity, userPrincipal } from "./principal.js";

const identity: UserIdentity = {
  id: "usr_1",
  email: "ada@example.com",
  sessionId: "ses_1",
  secondFactorAt: null,
  twoFactorEnabled: true,
  isOwner: false,
};

describe("userPrincipal()", () => {
  it("an instance-wide binding that grants the route's permission reaches every project", () => {
    const principal = userPrincipal(identity, [{ role: "developer", projectId: null }], "keys:create");
    expect(principal).toMatchObject({ tokenId: "usr_1", tokenName: "ada@example.com", projectIds: null });
    expect(canAccessProject(principal, "proj_any")).toBe(true);
    expect(() => requirePermission(principal, "keys:create")).not.toThrow();
    expect(() => requirePermission(principal, "users:write")).toThrow();
  });

  it("limits a user with different roles per project to the projects whose role grants the permission", () => {
    const roles: RoleBinding[] = [
      { role: "developer", projectId: "proj_a" },
      { role: "auditor", projectId: "proj_b" },
    ];
    const create = userPrincipal(identity, roles, "keys:create");
    expect(create.projectIds).toEqual(["proj_a"]);
    expect(canAccessProject(create, "proj_b")).toBe(false);

    const read = userPrincipal(identity, roles, "keys:read");
    expect(read.projectIds).toEqual(["proj_a", "proj_b"]);
    // Held in both projects: reading; not rotating (only the developer project grants it).
    expect(read.permissions).toContain("keys:read");
    expect(read.permissions).not.toContain("keys:rotate");
    expect(read.permissions).not.toContain("audit:read");

    const audit = userPrincipal(identity, roles, "audit:read");
    expect(audit.projectIds).toEqual(["proj_b"]);
  });

  it("keeps what a wildcard in one project and a list in another both cover", () => {
    const principal = userPrincipal(
      identity,
      [
        { role: "owner", projectId: "proj_a" },
        { role: "viewer", projectId: "proj_b" },
      ],
      "projects:read",
    );
    expect(principal.projectIds).toEqual(["proj_a", "proj_b"]);
    expect(principal.permissions).toContain("projects:read");
    expect(principal.permissions).not.toContain("*");
  });

  it("holds nothing when no binding grants the permission, so the route refuses", () => {
    const principal = userPrincipal(identity, [{ role: "viewer", projectId: null }], "keys:create");
    expect(principal.permissions).toEqual([]);
    expect(principal.projectIds).toEqual([]);
    expect(() => requirePermission(principal, "keys:create")).toThrow();
  });
});
