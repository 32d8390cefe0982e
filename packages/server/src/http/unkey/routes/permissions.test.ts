import { permissionId } from "@keyward/core/key-roles.js";
import {
  APIError,
  BadRequestErrorResponse,
  ConflictErrorResponse,
  ForbiddenErrorResponse,
  NotFoundErrorResponse,
} from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, mintToken } from "../../../../test/support/api-helpers.js";
import { rejection, startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";

let target: UnkeyTarget;
let apiId: string;
beforeAll(async () => {
  target = await startUnkeyTarget();
  apiId = await createProject(target.t, { name: "documents", keyPrefix: "doc" });
});
afterAll(async () => {
  await target.close();
});

const verify = async (key: string, permissions: string) =>
  (await target.unkey.keys.verifyKey({ key, permissions })).data;

describe("permissions.* and key roles through @unkey/api", () => {
  it("a role's permission satisfies a verifyKey query; deleting the role makes the same query fail", async () => {
    const { unkey } = target;
    const created = await unkey.permissions.createPermission({
      name: "Write documents",
      slug: "documents.write",
      description: "Writes any document.",
    });
    expect(created.data.permissionId).toBe(permissionId("documents.write"));
    const role = await unkey.permissions.createRole({
      name: "editor",
      description: "Edits documents",
      permissions: ["documents.write", "documents.publish"],
    });
    expect(role.data.roleId).toMatch(/^role_/);

    const { key, keyId } = (
      await unkey.keys.createKey({ apiId, permissions: ["documents.read"], roles: ["editor"] })
    ).data;
    const got = (await unkey.keys.getKey({ keyId })).data;
    expect(got.permissions).toEqual(["documents.read"]);
    expect(got.roles).toEqual(["editor"]);

    const query = "documents.read AND documents.publish";
    const valid = await verify(key, query);
    expect(valid).toMatchObject({ valid: true, code: "VALID", roles: ["editor"] });
    expect([...(valid.permissions ?? [])].sort()).toEqual([
      "documents.publish",
      "documents.read",
      "documents.write",
    ]);

    await unkey.permissions.deleteRole({ role: "editor" });
    expect(await verify(key, query)).toMatchObject({ valid: false, code: "INSUFFICIENT_PERMISSIONS" });
    expect((await unkey.keys.getKey({ keyId })).data.roles).toBeUndefined();
    // The permissions the role created stay in the catalogue.
    expect((await unkey.permissions.getPermission({ permission: "documents.publish" })).data).toEqual({
      id: permissionId("documents.publish"),
      name: "documents.publish",
      slug: "documents.publish",
    });
  });

  it("adds, sets and removes a key's roles, and a role's new permissions apply at once", async () => {
    const { unkey } = target;
    await unkey.permissions.createRole({ name: "reader", permissions: ["reports.read"] });
    const auditor = (await unkey.permissions.createRole({ name: "auditor" })).data.roleId;
    const { key, keyId } = (await unkey.keys.createKey({ apiId })).data;

    expect(
      (await unkey.keys.addRoles({ keyId, roles: ["reader", auditor] })).data.map((r) => r.name),
    ).toEqual(["reader", "auditor"]);
    expect(await verify(key, "reports.read")).toMatchObject({ valid: true });
    expect(await verify(key, "reports.export")).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS" });

    const perms = await unkey.permissions.setRolePermissions({
      roleId: auditor,
      permissions: ["reports.export"],
    });
    expect(perms.data.map((p) => p.slug)).toEqual(["reports.export"]);
    expect(await verify(key, "reports.read AND reports.export")).toMatchObject({ valid: true });

    expect((await unkey.keys.removeRoles({ keyId, roles: ["reader"] })).data.map((r) => r.name)).toEqual([
      "auditor",
    ]);
    expect(await verify(key, "reports.read")).toMatchObject({ valid: false });
    expect((await unkey.keys.setRoles({ keyId, roles: [] })).data).toEqual([]);
    expect(await verify(key, "reports.export")).toMatchObject({ valid: false });

    const role = (await unkey.permissions.getRole({ role: auditor })).data;
    expect(role).toMatchObject({ id: auditor, name: "auditor" });
    expect(role.permissions?.map((p) => p.id)).toEqual([permissionId("reports.export")]);
  });

  it("lists permissions and roles a page at a time, and searches them", async () => {
    const { unkey } = target;
    for (const n of [1, 2, 3]) {
      await unkey.permissions.createPermission({ name: `Page ${n}`, slug: `paging.p${n}` });
      await unkey.permissions.createRole({ name: `paging-role-${n}` });
      // Role ids sort by creation time, to the millisecond.
      target.t.clock.advance(1);
    }
    const slugs: string[] = [];
    const first = await unkey.permissions.listPermissions({ limit: 2, search: "PAGING" });
    let page: Pick<typeof first, "result" | "next"> | null = first;
    while (page !== null) {
      expect(page.result.data.length).toBeLessThanOrEqual(2);
      slugs.push(...page.result.data.map((p) => p.slug));
      expect(page.result.pagination.hasMore).toBe(page.result.pagination.cursor !== undefined);
      page = await page.next();
    }
    expect(slugs.sort()).toEqual(["paging.p1", "paging.p2", "paging.p3"]);

    const roles = await unkey.permissions.listRoles({ limit: 2, search: "paging-role" });
    expect(roles.result.data.map((r) => r.name)).toEqual(["paging-role-1", "paging-role-2"]);
    const second = await roles.next();
    expect(second?.result.data.map((r) => r.name)).toEqual(["paging-role-3"]);
    expect(second?.result.pagination).toEqual({ hasMore: false });
    expect(await second?.next()).toBeNull();
  });

  it("answers 404 for unknown permissions and roles, 409 for duplicates, 400 for bad input", async () => {
    const { unkey } = target;
    await rejection(
      unkey.permissions.getPermission({ permission: "perm_0000000000000000" }),
      NotFoundErrorResponse,
    );
    await rejection(unkey.permissions.getRole({ role: "nobody" }), NotFoundErrorResponse);
    // The client declares no typed 404 for deleteRole: a plain APIError with the status.
    expect((await rejection(unkey.permissions.deleteRole({ role: "nobody" }), APIError)).statusCode).toBe(
      404,
    );
    await rejection(unkey.permissions.deletePermission({ permission: "no.such" }), NotFoundErrorResponse);
    await rejection(
      unkey.permissions.setRolePermissions({ roleId: "nobody", permissions: [] }),
      NotFoundErrorResponse,
    );

    await unkey.permissions.createPermission({ name: "Dup", slug: "dup.perm" });
    await rejection(
      unkey.permissions.createPermission({ name: "Dup", slug: "dup.perm" }),
      ConflictErrorResponse,
    );
    await unkey.permissions.createRole({ name: "dup-role" });
    await rejection(unkey.permissions.createRole({ name: "dup-role" }), ConflictErrorResponse);

    const bad = await rejection(
      unkey.permissions.createPermission({ name: "Bad", slug: "has space" }),
      BadRequestErrorResponse,
    );
    expect(bad.data$.error.errors.map((e) => e.location)).toContain("body/slug");
    const badRole = await rejection(
      unkey.permissions.createRole({ name: "bad-slugs", permissions: ["ok.one", "not ok"] }),
      BadRequestErrorResponse,
    );
    expect(badRole.data$.error.errors.map((e) => e.location)).toContain("body/permissions/1");

    const { keyId } = (await unkey.keys.createKey({ apiId })).data;
    const unknown = await rejection(
      unkey.keys.addRoles({ keyId, roles: ["dup-role", "ghost"] }),
      BadRequestErrorResponse,
    );
    expect(unknown.data$.error.errors.map((e) => e.location)).toEqual(["body/roles/1"]);
    await rejection(
      unkey.keys.addRoles({ keyId: "key_missing", roles: ["dup-role"] }),
      NotFoundErrorResponse,
    );
  });

  it("reading needs rbac:read, changing rbac:write on every project; key roles need keys:update", async () => {
    const reader = target.clientWith(
      (await mintToken(target.t, ["rbac.*.read_role", "rbac.*.read_permission"])).token,
    );
    expect((await reader.permissions.listRoles({})).result.data).toBeInstanceOf(Array);
    await rejection(reader.permissions.createRole({ name: "sneaky" }), ForbiddenErrorResponse);

    const limited = target.clientWith(
      (await mintToken(target.t, ["rbac:write", "rbac:read"], { projectIds: [apiId] })).token,
    );
    await rejection(limited.permissions.createRole({ name: "project-limited" }), ForbiddenErrorResponse);

    const keysOnly = target.clientWith(
      (await mintToken(target.t, ["api.*.update_key", "api.*.create_key"])).token,
    );
    const { keyId } = (await keysOnly.keys.createKey({ apiId })).data;
    await target.unkey.permissions.createRole({ name: "assignable" });
    expect((await keysOnly.keys.setRoles({ keyId, roles: ["assignable"] })).data.map((r) => r.name)).toEqual([
      "assignable",
    ]);
  });
});
