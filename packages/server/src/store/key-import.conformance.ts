import { createHash } from "node:crypto";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { beforeEach, describe, expect, it } from "vitest";
import { IMPORTED_PEPPER_VERSION } from "./key-import-records.js";
import type { KeyStore } from "./key-store.js";
import type { NewKey, ProjectRecord } from "./records.js";
import type { StoreFixtures } from "./store-fixtures.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** Keys imported by SHA-256 (keys.migrateKeys), for every {@link KeyStore}; run inside its conformance suite. */
export function describeKeyImportConformance(store: () => KeyStore, fx: () => StoreFixtures): void {
  describe("importKeys()", () => {
    let project: ProjectRecord;

    beforeEach(async () => {
      project = await fx().createProject();
    });

    /** A key to import: the fixtures' record, with the SHA-256 of `plaintext` as its digest. */
    function imported(plaintext: string, overrides: Partial<KeyRecord> = {}): NewKey {
      const { record } = fx().makeKey(project.id, { start: "", ...overrides });
      return { record, digest: sha256(plaintext), pepperVersion: IMPORTED_PEPPER_VERSION };
    }

    it("inserts each key under its SHA-256 with version 0, skips hashes taken (before or earlier in the batch), and writes the effects of those inserted only", async () => {
      const webhook = (await fx().createWebhook(project.id, { events: ["key.created"] })).record;
      const existing = imported("acme_existing");
      await store().importKeys({ migrationId: "m1", projectId: project.id, nowMs: 1, keys: [existing] });
      const a = imported("acme_a", { quota: null });
      a.record.quota = { poolId: a.record.id, remaining: 5, refill: null, refilledAt: 0 };
      const b = imported("acme_b");
      const again = imported("acme_a");
      const taken = imported("acme_existing");
      const outcomes = await store().importKeys({
        migrationId: "m1",
        projectId: project.id,
        nowMs: 2,
        keys: [a, again, taken, b],
        effectsFor: fx().keyEvents("key.created"),
      });
      expect(outcomes).toEqual(["imported", "duplicate", "duplicate", "imported"]);
      const found = await store().findKeyByAnyDigest([sha256("acme_a")]);
      expect(found).toMatchObject({ pepperVersion: IMPORTED_PEPPER_VERSION, record: { id: a.record.id } });
      expect(found?.record.quota).toMatchObject({ remaining: 5 });
      expect(await store().findKey(again.record.id)).toBeNull();
      expect(await store().findKey(taken.record.id)).toBeNull();
      expect((await fx().eventsSeenBy(webhook.id)).map((e) => e.keyId)).toEqual([a.record.id, b.record.id]);
    });

    it("reports migrations and pending imported keys, which a re-digest or a revocation ends", async () => {
      expect(await store().keyImportStatus(10)).toEqual({ migrations: false, pending: false });
      await fx().createKey(project.id);
      expect(await store().keyImportStatus(10)).toEqual({ migrations: false, pending: false });
      const one = imported("acme_one");
      const two = imported("acme_two");
      await store().importKeys({ migrationId: "m1", projectId: project.id, nowMs: 1, keys: [one, two] });
      expect(await store().keyImportStatus(10)).toEqual({ migrations: true, pending: true });
      await fx().stores.peppers.redigestKeys([
        { id: one.record.id, expected: one.digest, digest: Buffer.alloc(32, 1), pepperVersion: 1 },
      ]);
      expect(await store().keyImportStatus(10)).toEqual({ migrations: true, pending: true });
      await store().revokeKey(two.record.id, null, 2);
      expect(await store().keyImportStatus(10)).toEqual({ migrations: true, pending: false });
      expect(await store().findKeyByDigest(one.digest)).toBeNull();
      // The usage per pepper version counts the imported key still on version 0 apart.
      const usage = await fx().stores.peppers.pepperUsage();
      expect(usage.find((u) => u.version === IMPORTED_PEPPER_VERSION)?.keys).toEqual({
        active: 0,
        revoked: 1,
      });
    });

    it("does not count imported keys expired at the given time as pending: they can never verify", async () => {
      const expiring = imported("acme_expiring", { expiresAt: 1_000 });
      await store().importKeys({ migrationId: "m1", projectId: project.id, nowMs: 1, keys: [expiring] });
      expect(await store().keyImportStatus(999)).toEqual({ migrations: true, pending: true });
      expect(await store().keyImportStatus(1_000)).toEqual({ migrations: true, pending: false });
      const lasting = imported("acme_lasting", { expiresAt: null });
      await store().importKeys({ migrationId: "m1", projectId: project.id, nowMs: 2, keys: [lasting] });
      expect(await store().keyImportStatus(5_000)).toEqual({ migrations: true, pending: true });
      await store().updateKey(expiring.record.id, { expiresAt: 9_000 }, 3);
      await store().revokeKey(lasting.record.id, null, 4);
      expect(await store().keyImportStatus(5_000)).toEqual({ migrations: true, pending: true });
      expect(await store().keyImportStatus(9_000)).toEqual({ migrations: true, pending: false });
    });

    it("records a migration once per project and finds it by id within the given projects", async () => {
      const other = await fx().createProject();
      await store().importKeys({ migrationId: "m1", projectId: project.id, nowMs: 1, keys: [] });
      await store().importKeys({ migrationId: "m1", projectId: project.id, nowMs: 2, keys: [] });
      expect(await store().hasKeyMigration("m1", null)).toBe(true);
      expect(await store().hasKeyMigration("m1", [project.id])).toBe(true);
      expect(await store().hasKeyMigration("m1", [other.id])).toBe(false);
      expect(await store().hasKeyMigration("m1", [])).toBe(false);
      expect(await store().hasKeyMigration("m2", null)).toBe(false);
    });
  });
}
