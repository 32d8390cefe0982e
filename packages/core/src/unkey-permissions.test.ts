import { describe, expect, it } from "vitest";
import { isUnkeyPermissionName, mapUnkeyPermissions } from "./unkey-permissions.js";

const P = "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4";
const Q = "proj_1Ab2cD3eF4gH5iJ6kL7mN8";

describe("mapUnkeyPermissions()", () => {
  it.each([
    ["api.*.create_api", ["projects:write"]],
    ["api.*.read_api", ["projects:read"]],
    ["api.*.delete_api", ["projects:write", "keys:revoke"]],
    ["api.*.create_key", ["keys:create", "keys:rotate"]],
    ["api.*.read_key", ["keys:read"]],
    ["api.*.update_key", ["keys:update"]],
    ["api.*.delete_key", ["keys:revoke"]],
    ["api.*.verify_key", ["keys:verify"]],
    ["api.*.encrypt_key", ["keys:reveal"]],
    ["api.*.decrypt_key", ["keys:reveal"]],
    ["ratelimit.*.limit", ["ratelimit:limit"]],
    ["ratelimit.*.set_override", ["ratelimit:write"]],
    ["ratelimit.*.delete_override", ["ratelimit:write"]],
    ["ratelimit.*.read_override", ["ratelimit:read"]],
  ])("maps %s to %j, instance-wide", (name, permissions) => {
    expect(mapUnkeyPermissions([name])).toEqual({ ok: true, permissions, projectIds: null });
  });

  it("passes Keyward permissions and wildcards through unchanged, in order, without duplicates", () => {
    expect(mapUnkeyPermissions(["keys:read", "tokens:*", "keys:read", "*"])).toEqual({
      ok: true,
      permissions: ["keys:read", "tokens:*", "*"],
      projectIds: null,
    });
  });

  it("merges Unkey and Keyward names, dropping permissions two names both grant", () => {
    expect(
      mapUnkeyPermissions(["api.*.create_key", "keys:create", "api.*.encrypt_key", "api.*.decrypt_key"]),
    ).toEqual({ ok: true, permissions: ["keys:create", "keys:rotate", "keys:reveal"], projectIds: null });
  });

  it("limits api.<apiId> permissions to that API's project", () => {
    expect(mapUnkeyPermissions([`api.${P}.read_key`, `api.${P}.verify_key`])).toEqual({
      ok: true,
      permissions: ["keys:read", "keys:verify"],
      projectIds: [P],
    });
  });

  it("unites several APIs' ids when every API is granted the same permissions", () => {
    expect(
      mapUnkeyPermissions([
        `api.${P}.read_key`,
        `api.${Q}.read_key`,
        `api.${Q}.verify_key`,
        `api.${P}.verify_key`,
      ]),
    ).toEqual({ ok: true, permissions: ["keys:read", "keys:verify"], projectIds: [P, Q] });
  });

  it("unites APIs when a Keyward or api.* permission already grants what one API lacks", () => {
    expect(mapUnkeyPermissions([`api.${P}.read_key`, `api.${Q}.verify_key`, "keys:*"])).toEqual({
      ok: true,
      permissions: ["keys:read", "keys:verify", "keys:*"],
      projectIds: [P, Q],
    });
  });

  it("refuses APIs granted different permissions, at each API that lacks some", () => {
    const result = mapUnkeyPermissions([`api.${P}.read_key`, `api.${Q}.read_key`, `api.${Q}.create_key`]);
    expect(result).toEqual({
      ok: false,
      errors: [{ index: 0, detail: expect.stringContaining("mint one token per API") }],
    });
  });

  it("refuses api.* mixed with api.<apiId>, at each api.<apiId> entry", () => {
    const result = mapUnkeyPermissions([`api.${P}.read_key`, "api.*.verify_key", `api.${P}.create_key`]);
    expect(result).toEqual({
      ok: false,
      errors: [
        { index: 0, detail: expect.stringContaining("one project list") },
        { index: 2, detail: expect.stringContaining("one project list") },
      ],
    });
  });

  it("refuses a ratelimit namespace other than *", () => {
    expect(mapUnkeyPermissions(["ratelimit.ns_123.limit"])).toEqual({
      ok: false,
      errors: [{ index: 0, detail: expect.stringContaining("not per namespace") }],
    });
  });

  it("maps rbac.*.<action>: the catalogue to rbac:read/rbac:write, key assignments to keys:update", () => {
    expect(
      mapUnkeyPermissions(["rbac.*.read_role", "rbac.*.create_permission", "rbac.*.add_role_to_key"]),
    ).toEqual({ ok: true, permissions: ["rbac:read", "rbac:write", "keys:update"], projectIds: null });
    expect(mapUnkeyPermissions(["rbac.ws_1.read_role"])).toEqual({
      ok: false,
      errors: [{ index: 0, detail: expect.stringContaining("instance-wide") }],
    });
    expect(mapUnkeyPermissions(["rbac.*.grant_everything"])).toEqual({
      ok: false,
      errors: [{ index: 0, detail: expect.stringContaining("rbac permission's action must be one of") }],
    });
  });

  it.each([
    ["api.*", "must read"],
    ["api.", "must read"],
    ["api..read_key", "must read"],
    ["api.*.", "must read"],
    ["api.a.b.read_key", "must read"],
    ["ratelimit.limit", "must read"],
    ["api.*.*", "action must be one of"],
    ["api.*.limit", "action must be one of"],
    ["api.*.constructor", "action must be one of"],
    ["ratelimit.*.create_namespace", "action must be one of"],
    ["ratelimit.*.read_key", "action must be one of"],
    ["keys:destroy", "known permission"],
  ])("refuses %s, by its index", (name, detail) => {
    expect(mapUnkeyPermissions(["keys:read", name])).toEqual({
      ok: false,
      errors: [{ index: 1, detail: expect.stringContaining(detail) }],
    });
  });

  it("maps identity.*.<action> to identities:read/identities:write, and refuses an identity scope", () => {
    expect(
      mapUnkeyPermissions([
        "identity.*.read_identity",
        "identity.*.create_identity",
        "identity.*.delete_identity",
      ]),
    ).toEqual({ ok: true, permissions: ["identities:read", "identities:write"], projectIds: null });
    expect(mapUnkeyPermissions(["identity.id_1.read_identity"])).toMatchObject({
      ok: false,
      errors: [{ index: 0 }],
    });
    expect(mapUnkeyPermissions(["identity.*.merge_identity"])).toMatchObject({
      ok: false,
      errors: [{ index: 0 }],
    });
    expect(isUnkeyPermissionName("identity.*.read_identity")).toBe(true);
  });

  it("never echoes a refused entry, which may be a secret pasted in the wrong field", () => {
    const secret = "kwr_9dQeW2n7QJ8YHh2xkLmN0aB4cD6eF8gH0iJ2kL4mN6oP8qR0sT2uV4wX6yZ";
    const result = mapUnkeyPermissions([secret, `api.${secret}.nope`, `ratelimit.${secret}.limit`]);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("reports every refused entry, in index order", () => {
    const result = mapUnkeyPermissions(["bad", "api.*.nope", "keys:read", "ratelimit.ns.limit"]);
    expect(result.ok ? [] : result.errors.map((e) => e.index)).toEqual([0, 1, 3]);
  });
});

describe("isUnkeyPermissionName()", () => {
  it("tells Unkey's api. and ratelimit. names from Keyward's", () => {
    expect(isUnkeyPermissionName("api.*.read_key")).toBe(true);
    expect(isUnkeyPermissionName("ratelimit.*.limit")).toBe(true);
    expect(isUnkeyPermissionName("keys:read")).toBe(false);
    expect(isUnkeyPermissionName("apis.read")).toBe(false);
  });
});
