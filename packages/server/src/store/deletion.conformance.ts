import { newId } from "@keyward/core/ids.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { KeyStore } from "./key-store.js";
import type { ProjectRecord } from "./records.js";
import { type StoreFixtures, T0 } from "./store-fixtures.js";

const NOW = T0 + 3_600_000;

/** Erasing keys and deleting projects, for every {@link KeyStore}; run inside its conformance suite. */
export function describeDeletionConformance(store: () => KeyStore, fx: () => StoreFixtures): void {
  describe("deleteKey()", () => {
    let project: ProjectRecord;

    beforeEach(async () => {
      project = await fx().createProject();
    });

    it("erases the record: no lookup by id or digest finds it, and it returns the record as it was", async () => {
      const key = fx().makeKey(project.id);
      key.record.quota = { poolId: key.record.id, remaining: 5, refill: null, refilledAt: 0 };
      await store().createKey(key);
      const stored = await store().findKey(key.record.id);
      const deleted = await store().deleteKey(key.record.id);
      expect(deleted).toEqual(stored);
      expect(await store().findKey(key.record.id)).toBeNull();
      expect(await store().findKeyByDigest(key.digest)).toBeNull();
      expect(await store().findKeyByAnyDigest([key.digest])).toBeNull();
      expect((await store().listKeys({ projectIds: [project.id], limit: 10 })).map((k) => k.id)).toEqual([]);
      // Batched writes that arrive after the erasure are ignored, not failed.
      await store().recordKeyUsage([{ id: key.record.id, lastUsedAt: NOW, count: 1 }]);
      await store().recordQuotaBalances([{ poolId: key.record.id, remaining: 1, refilledAt: 0 }]);
      expect(await store().findKey(key.record.id)).toBeNull();
    });

    it("erases the key's sealed copy", async () => {
      const key = fx().makeKey(project.id);
      await store().createKey({ ...key, sealedCopy: '{"v":1}' });
      expect(await fx().stores.secrets.readKeyCopy(key.record.id)).toBe('{"v":1}');
      await store().deleteKey(key.record.id);
      expect(await fx().stores.secrets.readKeyCopy(key.record.id)).toBeNull();
    });

    it("keeps both sides of a rotation, without their link to the erased key", async () => {
      const old = await fx().createKey(project.id);
      const replacement = fx().makeKey(project.id, { replaces: old.record.id });
      await store().rotateKey({ oldId: old.record.id, replacement, oldExpiresAt: NOW, nowMs: NOW });
      await store().deleteKey(old.record.id);
      expect((await store().findKey(replacement.record.id))?.replaces).toBeNull();

      const second = fx().makeKey(project.id, { replaces: replacement.record.id });
      await store().rotateKey({
        oldId: replacement.record.id,
        replacement: second,
        oldExpiresAt: NOW,
        nowMs: NOW,
      });
      await store().deleteKey(second.record.id);
      expect((await store().findKey(replacement.record.id))?.replacedBy).toBeNull();
    });

    it("writes its effects once, and returns null for an unknown or already erased id", async () => {
      const watcher = (await fx().createWebhook(project.id)).record;
      const key = await fx().createKey(project.id);
      expect(await store().deleteKey(key.record.id, fx().keyEvents("key.deleted"))).not.toBeNull();
      expect(await store().deleteKey(key.record.id, fx().keyEvents("key.deleted"))).toBeNull();
      expect(await store().deleteKey(newId("key"))).toBeNull();
      expect(await fx().eventsSeenBy(watcher.id)).toEqual([{ type: "key.deleted", keyId: key.record.id }]);
    });
  });

  describe("deleteProject()", () => {
    it("hides the project from every read but keeps its keys, and deletes once", async () => {
      const project = await fx().createProject({ require2fa: true });
      const other = await fx().createProject();
      const key = await fx().createKey(project.id);
      const deleted = await store().deleteProject(project.id, NOW);
      expect(deleted).toEqual(project);
      expect(await store().findProject(project.id)).toBeNull();
      expect((await store().listProjects({ limit: 10 })).map((p) => p.id)).toEqual([other.id]);
      expect(await store().listProjectIdsRequiring2fa()).toEqual([]);
      expect(await store().updateProject(project.id, { name: "back" })).toBeNull();
      expect(await store().findKey(key.record.id)).toEqual(key.record);
      expect(await store().deleteProject(project.id, NOW + 1)).toBeNull();
      expect(await store().deleteProject(newId("proj"), NOW)).toBeNull();
    });

    it("erases the sealed copies of the project's keys and writes its effects once", async () => {
      const project = await fx().createProject();
      const key = fx().makeKey(project.id);
      await store().createKey({ ...key, sealedCopy: '{"v":1}' });
      const watcher = (await fx().createWebhook(project.id)).record;
      const effects = (p: ProjectRecord) => [fx().makeEvent(p.id, "project.deleted")];
      await store().deleteProject(project.id, NOW, effects);
      await store().deleteProject(project.id, NOW, effects);
      expect(await fx().stores.secrets.readKeyCopy(key.record.id)).toBeNull();
      expect(await fx().eventsSeenBy(watcher.id)).toEqual([{ type: "project.deleted", keyId: null }]);
    });
  });
}
