import { permissionId } from "@keyward/core/key-roles.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { auditEntry, systemActor } from "../audit/audit-entry.js";
import type { KeyRoleStore, PermissionRecord } from "./key-role-store.js";
import type { ChangeEffect } from "./records.js";
import { StoreFixtures } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

/**
 * The one suite every {@link KeyRoleStore} implementation must pass. `open` returns a new, empty {@link Stores}
 * bundle that has not been migrated yet; the suite migrates and closes it.
 */
export function describeKeyRoleStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`KeyRoleStore conformance: ${name}`, () => {
    let stores: Stores;
    let store: KeyRoleStore;
    let fx: StoreFixtures;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      store = stores.keyRoles;
      fx = new StoreFixtures(stores);
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    function permission(slug: string, overrides: Partial<PermissionRecord> = {}): PermissionRecord {
      return {
        id: permissionId(slug),
        slug,
        name: slug,
        description: null,
        createdAt: fx.nextTime(),
        ...overrides,
      };
    }

    function roleId(n: number): string {
      return `role_${String(n).padStart(22, "0")}`;
    }

    function entry(action: string): ChangeEffect {
      return auditEntry(
        systemActor("conformance"),
        { action, target: { type: "role", id: "role_x" }, projectId: null },
        fx.nextTime(),
      );
    }

    async function auditSeq(): Promise<number> {
      return (await stores.audit.auditHead()).seq;
    }

    it("creates, finds, lists and deletes permissions, with their audit entries; a slug twice is a CONFLICT", async () => {
      const read = permission("documents.read", { name: "Read documents", description: "Reads them" });
      await store.createPermission(read, [entry("permission.created")]);
      expect(await auditSeq()).toBe(1);
      expect(await store.findPermission(read.id)).toEqual(read);
      await expectKeywardError(store.createPermission(permission("documents.read")), "CONFLICT");
      const write = permission("documents.write");
      await store.createPermission(write);

      const all = await store.listPermissions({ limit: 10 });
      expect(all.map((p) => p.slug).sort()).toEqual(["documents.read", "documents.write"]);
      const first = await store.listPermissions({ limit: 1 });
      const rest = await store.listPermissions({ limit: 10, after: first[0]?.id as string });
      expect([...first, ...rest].map((p) => p.id)).toEqual(all.map((p) => p.id));
      expect((await store.listPermissions({ limit: 10, search: "READ DOC" })).map((p) => p.slug)).toEqual([
        "documents.read",
      ]);
      // LIKE's own wildcards are searched for literally.
      expect(await store.listPermissions({ limit: 10, search: "%" })).toEqual([]);

      expect(await store.deletePermission(read.id, [entry("permission.deleted")])).toBe(true);
      expect(await store.deletePermission(read.id, [entry("permission.deleted")])).toBe(false);
      expect(await auditSeq()).toBe(2);
      expect(await store.findPermission(read.id)).toBeNull();
    });

    it("creates a role with its permissions (inserting missing ones), finds it by id and name, lists it", async () => {
      const existing = permission("documents.read", { name: "Read documents" });
      await store.createPermission(existing);
      const role = await store.createRole(
        {
          id: roleId(1),
          name: "editor",
          description: "Edits documents",
          permissions: [permission("documents.read"), permission("documents.write")],
          createdAt: 1_000,
        },
        (created) => [entry(`role.created ${created.permissions.length}`)],
      );
      expect(await auditSeq()).toBe(1);
      expect(role).toMatchObject({ id: roleId(1), name: "editor", description: "Edits documents" });
      // The existing permission is reused as it was, not overwritten.
      expect(role.permissions.map((p) => [p.slug, p.name])).toEqual([
        ["documents.read", "Read documents"],
        ["documents.write", "documents.write"],
      ]);
      expect(await store.findRole(roleId(1))).toEqual(role);
      expect(await store.findRoleByName("editor")).toEqual(role);
      expect(await store.findRole("role_missing")).toBeNull();
      await expectKeywardError(
        store.createRole({ id: roleId(2), name: "editor", description: null, permissions: [], createdAt: 1 }),
        "CONFLICT",
      );
      await store.createRole({
        id: roleId(3),
        name: "viewer",
        description: null,
        permissions: [],
        createdAt: 2,
      });
      const page = await store.listRoles({ limit: 1 });
      expect(page.map((r) => r.name)).toEqual(["editor"]);
      expect(page[0]?.permissions).toHaveLength(2);
      expect((await store.listRoles({ limit: 5, after: roleId(1) })).map((r) => r.name)).toEqual(["viewer"]);
      expect((await store.listRoles({ limit: 5, search: "EDITS" })).map((r) => r.name)).toEqual(["editor"]);
    });

    it("replaces a role's permissions, and a deleted permission leaves every role", async () => {
      await store.createRole({
        id: roleId(1),
        name: "editor",
        description: null,
        permissions: [permission("a.read"), permission("a.write")],
        createdAt: 1,
      });
      const updated = await store.setRolePermissions(
        roleId(1),
        [permission("a.read"), permission("b.read")],
        5,
        (role) => [entry(`role.updated ${role.permissions.length}`)],
      );
      expect(updated?.permissions.map((p) => p.slug)).toEqual(["a.read", "b.read"]);
      expect(updated?.updatedAt).toBe(5);
      expect(await store.setRolePermissions("role_missing", [], 6, () => [entry("x")])).toBeNull();
      expect(await auditSeq()).toBe(1);

      await store.deletePermission(permissionId("a.read"));
      expect((await store.findRole(roleId(1)))?.permissions.map((p) => p.slug)).toEqual(["b.read"]);
    });

    it("loads the whole catalogue, roles without permissions included; a deleted role is gone from it", async () => {
      await store.createRole({
        id: roleId(1),
        name: "editor",
        description: null,
        permissions: [permission("a.write"), permission("a.read")],
        createdAt: 1,
      });
      await store.createRole({
        id: roleId(2),
        name: "empty",
        description: null,
        permissions: [],
        createdAt: 2,
      });
      expect(await store.loadRoleCatalogue()).toEqual([
        { id: roleId(1), name: "editor", permissions: ["a.read", "a.write"] },
        { id: roleId(2), name: "empty", permissions: [] },
      ]);
      expect(await store.deleteRole(roleId(1), [entry("role.deleted")])).toBe(true);
      expect(await store.deleteRole(roleId(1), [entry("role.deleted")])).toBe(false);
      expect(await auditSeq()).toBe(1);
      expect(await store.loadRoleCatalogue()).toEqual([{ id: roleId(2), name: "empty", permissions: [] }]);
    });

    it("keeps a key's role ids on its row: created, updated and read back by digest", async () => {
      const project = await fx.createProject();
      const key = await fx.createKey(project.id, { roles: [roleId(1)] });
      expect((await stores.keys.findKey(key.record.id))?.roles).toEqual([roleId(1)]);
      const updated = await stores.keys.updateKey(
        key.record.id,
        { roles: [roleId(2), roleId(1)] },
        fx.nextTime(),
      );
      expect(updated?.roles).toEqual([roleId(2), roleId(1)]);
      expect((await stores.keys.findKeyByDigest(key.digest))?.record.roles).toEqual([roleId(2), roleId(1)]);
    });
  });
}
