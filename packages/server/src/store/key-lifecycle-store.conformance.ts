import { newId } from "@keyward/core/ids.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KeyLifecycleStore, KeyNotice } from "./key-lifecycle-store.js";
import type { NewKey, ProjectRecord } from "./records.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import type { WebhookRecord } from "./webhook-store.js";

const DAY_MS = 86_400_000;
/** The scheduler's "now" in these tests: well after every fixture's creation time. */
const NOW = T0 + 100 * DAY_MS;
const LIMIT = 100;

/**
 * The one suite every {@link KeyLifecycleStore} implementation must pass, written only against the interfaces.
 * `open` returns a new, empty {@link Stores} bundle that has not been migrated yet; the suite migrates and closes
 * it. Events are seen through a webhook of the project subscribed to everything.
 */
export function describeKeyLifecycleStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`KeyLifecycleStore conformance: ${name}`, () => {
    let stores: Stores;
    let lifecycle: KeyLifecycleStore;
    let fx: StoreFixtures;
    let project: ProjectRecord;
    let other: ProjectRecord;
    let watcher: WebhookRecord;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      lifecycle = stores.lifecycle;
      fx = new StoreFixtures(stores);
      project = await fx.createProject();
      other = await fx.createProject({ name: "other" });
      watcher = (await fx.createWebhook(project.id)).record;
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    function ids(records: readonly (KeyRecord | NewKey)[]): string[] {
      return records.map((r) => ("record" in r ? r.record.id : r.id));
    }

    function notice(key: NewKey, kind: KeyNotice["kind"], subjectAt: number, sentAt = NOW): KeyNotice {
      return { keyId: key.record.id, kind, subjectAt, sentAt };
    }

    /** Records the notice with one event of its kind about the key. */
    function recordNotice(key: NewKey, kind: KeyNotice["kind"], subjectAt: number): Promise<boolean> {
      return lifecycle.recordKeyNotice(notice(key, kind, subjectAt), fx.keyEvents(kind)(key.record));
    }

    describe("findKeysToNotifyExpiring()", () => {
      const AFTER = T0 + 10 * DAY_MS;
      const UNTIL = T0 + 20 * DAY_MS;
      const query = { afterMs: AFTER, untilMs: UNTIL, limit: LIMIT };

      it("finds the project's keys expiring in (afterMs, untilMs], in id order, and no others", async () => {
        await fx.createKey(project.id, { expiresAt: AFTER });
        const justAfter = await fx.createKey(project.id, { expiresAt: AFTER + 1 });
        const atUntil = await fx.createKey(project.id, { expiresAt: UNTIL });
        await fx.createKey(project.id, { expiresAt: UNTIL + 1 });
        await fx.createKey(project.id, { expiresAt: null });
        await fx.createKey(other.id, { expiresAt: AFTER + 5 });
        const found = await lifecycle.findKeysToNotifyExpiring({ ...query, projectId: project.id });
        expect(found).toEqual([justAfter.record, atUntil.record]);
      });

      it("leaves out revoked and replaced keys", async () => {
        const kept = await fx.createKey(project.id, { expiresAt: AFTER + 5 });
        await fx.createKey(project.id, { expiresAt: AFTER + 5, revokedAt: T0, revokedReason: null });
        await fx.createKey(project.id, { expiresAt: AFTER + 5, replacedBy: newId("key") });
        expect(ids(await lifecycle.findKeysToNotifyExpiring({ ...query, projectId: project.id }))).toEqual(
          ids([kept]),
        );
      });

      it("leaves out keys noticed for their current expiry, and finds them again when the expiry moves", async () => {
        const noticed = await fx.createKey(project.id, { expiresAt: AFTER + 5 });
        const otherKind = await fx.createKey(project.id, { expiresAt: AFTER + 6 });
        const oldSubject = await fx.createKey(project.id, { expiresAt: AFTER + 7 });
        expect(await recordNotice(noticed, "key.expiring", AFTER + 5)).toBe(true);
        expect(await recordNotice(otherKind, "key.expired", AFTER + 6)).toBe(true);
        expect(await recordNotice(oldSubject, "key.expiring", AFTER + 70)).toBe(true);
        const find = () => lifecycle.findKeysToNotifyExpiring({ ...query, projectId: project.id });
        expect(ids(await find())).toEqual(ids([otherKind, oldSubject]));

        await stores.keys.updateKey(noticed.record.id, { expiresAt: AFTER + 8 }, NOW);
        expect(ids(await find())).toEqual(ids([noticed, otherKind, oldSubject]));
        // Back to the expiry already noticed: that notice still counts.
        await stores.keys.updateKey(noticed.record.id, { expiresAt: AFTER + 5 }, NOW);
        expect(ids(await find())).toEqual(ids([otherKind, oldSubject]));
      });

      it("returns at most limit keys in id order, and moves on once those are noticed", async () => {
        const keys: NewKey[] = [];
        for (let i = 0; i < 3; i++) keys.push(await fx.createKey(project.id, { expiresAt: UNTIL - i }));
        const find = () => lifecycle.findKeysToNotifyExpiring({ ...query, projectId: project.id, limit: 2 });
        const first = await find();
        expect(ids(first)).toEqual(ids(keys.slice(0, 2)));
        for (const record of first) {
          await lifecycle.recordKeyNotice(
            { keyId: record.id, kind: "key.expiring", subjectAt: record.expiresAt as number, sentAt: NOW },
            [],
          );
        }
        expect(ids(await find())).toEqual(ids(keys.slice(2)));
      });
    });

    describe("findKeysToNotifyExpired()", () => {
      const SINCE = NOW - 2 * DAY_MS;
      const query = { sinceMs: SINCE, nowMs: NOW, limit: LIMIT };

      it("finds keys of every project that expired in (sinceMs, nowMs], replaced ones included", async () => {
        await fx.createKey(project.id, { expiresAt: SINCE });
        const justAfter = await fx.createKey(project.id, { expiresAt: SINCE + 1 });
        const elsewhere = await fx.createKey(other.id, { expiresAt: SINCE + 2 });
        // A rotated key's grace period ends at its expiry: that is worth a notice too.
        const replaced = await fx.createKey(project.id, { expiresAt: SINCE + 3, replacedBy: newId("key") });
        const atNow = await fx.createKey(project.id, { expiresAt: NOW });
        await fx.createKey(project.id, { expiresAt: NOW + 1 });
        await fx.createKey(project.id, { expiresAt: null });
        await fx.createKey(project.id, { expiresAt: SINCE + 4, revokedAt: SINCE, revokedReason: "gone" });
        const found = await lifecycle.findKeysToNotifyExpired(query);
        expect(found).toEqual([justAfter.record, elsewhere.record, replaced.record, atNow.record]);
      });

      it("leaves out keys noticed for their current expiry, and finds them again when the expiry moves", async () => {
        const noticed = await fx.createKey(project.id, { expiresAt: SINCE + 5 });
        const otherKind = await fx.createKey(project.id, { expiresAt: SINCE + 6 });
        expect(await recordNotice(noticed, "key.expired", SINCE + 5)).toBe(true);
        expect(await recordNotice(otherKind, "key.expiring", SINCE + 6)).toBe(true);
        expect(ids(await lifecycle.findKeysToNotifyExpired(query))).toEqual(ids([otherKind]));
        await stores.keys.updateKey(noticed.record.id, { expiresAt: SINCE + 9 }, NOW);
        expect(ids(await lifecycle.findKeysToNotifyExpired(query))).toEqual(ids([noticed, otherKind]));
      });

      it("returns at most limit keys in id order", async () => {
        const keys: NewKey[] = [];
        for (let i = 0; i < 3; i++) keys.push(await fx.createKey(project.id, { expiresAt: NOW - i }));
        expect(ids(await lifecycle.findKeysToNotifyExpired({ ...query, limit: 2 }))).toEqual(
          ids(keys.slice(0, 2)),
        );
      });
    });

    describe("findKeysToNotifyRotationDue()", () => {
      const CUTOFF = T0 + 10 * DAY_MS;
      const query = { createdAtOrBeforeMs: CUTOFF, nowMs: NOW, limit: LIMIT };

      it("finds the project's unexpired keys created at or before the cutoff", async () => {
        const atCutoff = await fx.createKey(project.id, { createdAt: CUTOFF, expiresAt: null });
        await fx.createKey(project.id, { createdAt: CUTOFF + 1, expiresAt: null });
        const older = await fx.createKey(project.id, { createdAt: T0, expiresAt: NOW + 1 });
        await fx.createKey(project.id, { createdAt: T0, expiresAt: NOW });
        await fx.createKey(other.id, { createdAt: T0, expiresAt: null });
        const found = await lifecycle.findKeysToNotifyRotationDue({ ...query, projectId: project.id });
        expect(found).toEqual([atCutoff.record, older.record]);
      });

      it("leaves out revoked and replaced keys", async () => {
        const kept = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        await fx.createKey(project.id, {
          createdAt: T0,
          expiresAt: null,
          revokedAt: T0,
          revokedReason: null,
        });
        await fx.createKey(project.id, { createdAt: T0, expiresAt: null, replacedBy: newId("key") });
        const found = await lifecycle.findKeysToNotifyRotationDue({ ...query, projectId: project.id });
        expect(ids(found)).toEqual(ids([kept]));
      });

      it("leaves out keys with a rotation-due notice, whatever their expiry becomes", async () => {
        const noticed = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        const otherKind = await fx.createKey(project.id, { createdAt: T0, expiresAt: NOW + 5 });
        expect(await recordNotice(noticed, "key.rotation_due", 0)).toBe(true);
        expect(await recordNotice(otherKind, "key.expiring", NOW + 5)).toBe(true);
        const find = () => lifecycle.findKeysToNotifyRotationDue({ ...query, projectId: project.id });
        expect(ids(await find())).toEqual(ids([otherKind]));
        await stores.keys.updateKey(noticed.record.id, { expiresAt: NOW + DAY_MS }, NOW);
        expect(ids(await find())).toEqual(ids([otherKind]));
      });

      it("returns at most limit keys in id order", async () => {
        const keys: NewKey[] = [];
        for (let i = 0; i < 3; i++)
          keys.push(await fx.createKey(project.id, { createdAt: CUTOFF - i, expiresAt: null }));
        const found = await lifecycle.findKeysToNotifyRotationDue({
          ...query,
          projectId: project.id,
          limit: 2,
        });
        expect(ids(found)).toEqual(ids(keys.slice(0, 2)));
      });
    });

    describe("findInactiveKeys()", () => {
      const UNUSED_SINCE = T0 + 10 * DAY_MS;
      const query = { unusedSinceMs: UNUSED_SINCE, nowMs: NOW, limit: LIMIT };
      const find = (projectId: string) => lifecycle.findInactiveKeys({ ...query, projectId });

      it("falls back to createdAt for never-used keys: created at or before the cutoff", async () => {
        const atCutoff = await fx.createKey(project.id, { createdAt: UNUSED_SINCE, expiresAt: null });
        await fx.createKey(project.id, { createdAt: UNUSED_SINCE + 1, expiresAt: null });
        expect(await find(project.id)).toEqual([atCutoff.record]);
      });

      it("uses lastUsedAt once a key has been used: last used at or before the cutoff", async () => {
        const usedAtCutoff = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        const usedAfter = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        await stores.keys.recordKeyUsage([
          { id: usedAtCutoff.record.id, lastUsedAt: UNUSED_SINCE, count: 1 },
          { id: usedAfter.record.id, lastUsedAt: UNUSED_SINCE + 1, count: 1 },
        ]);
        expect(await find(project.id)).toEqual([{ ...usedAtCutoff.record, lastUsedAt: UNUSED_SINCE }]);
      });

      it("leaves out expired, revoked and other projects' keys, and keeps replaced ones", async () => {
        await fx.createKey(project.id, { createdAt: T0, expiresAt: NOW });
        const unexpired = await fx.createKey(project.id, { createdAt: T0, expiresAt: NOW + 1 });
        await fx.createKey(project.id, {
          createdAt: T0,
          expiresAt: null,
          revokedAt: T0,
          revokedReason: null,
        });
        const replaced = await fx.createKey(project.id, {
          createdAt: T0,
          expiresAt: null,
          replacedBy: newId("key"),
        });
        const elsewhere = await fx.createKey(other.id, { createdAt: T0, expiresAt: null });
        expect(ids(await find(project.id))).toEqual(ids([unexpired, replaced]));
        expect(ids(await find(other.id))).toEqual(ids([elsewhere]));
      });

      it("returns at most limit keys in id order", async () => {
        const keys: NewKey[] = [];
        for (let i = 0; i < 3; i++)
          keys.push(await fx.createKey(project.id, { createdAt: T0 + i, expiresAt: null }));
        const found = await lifecycle.findInactiveKeys({ ...query, projectId: project.id, limit: 2 });
        expect(ids(found)).toEqual(ids(keys.slice(0, 2)));
      });
    });

    describe("recordKeyNotice()", () => {
      it("returns true the first time and false after, writing the events only the first time", async () => {
        const key = await fx.createKey(project.id);
        const first = notice(key, "key.expiring", key.record.expiresAt as number);
        expect(await lifecycle.recordKeyNotice(first, fx.keyEvents("key.expiring")(key.record))).toBe(true);
        const again = { ...first, sentAt: NOW + 1 };
        expect(await lifecycle.recordKeyNotice(again, fx.keyEvents("key.expiring")(key.record))).toBe(false);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([{ type: "key.expiring", keyId: key.record.id }]);
      });

      it("counts each kind and each subject of a key apart", async () => {
        const key = await fx.createKey(project.id);
        const subject = key.record.expiresAt as number;
        expect(await recordNotice(key, "key.expiring", subject)).toBe(true);
        expect(await recordNotice(key, "key.expired", subject)).toBe(true);
        expect(await recordNotice(key, "key.expiring", subject + 1)).toBe(true);
        expect(await recordNotice(key, "key.rotation_due", 0)).toBe(true);
        expect(await recordNotice(key, "key.rotation_due", 0)).toBe(false);
        const otherKey = await fx.createKey(project.id);
        expect(await recordNotice(otherKey, "key.expiring", subject)).toBe(true);
        const types = (await fx.eventsSeenBy(watcher.id)).map((e) => e.type);
        expect(types).toEqual([
          "key.expiring",
          "key.expired",
          "key.expiring",
          "key.rotation_due",
          "key.expiring",
        ]);
      });

      it("records a notice without events", async () => {
        const key = await fx.createKey(project.id);
        expect(await lifecycle.recordKeyNotice(notice(key, "key.rotation_due", 0), [])).toBe(true);
        expect(await lifecycle.recordKeyNotice(notice(key, "key.rotation_due", 0), [])).toBe(false);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
      });

      it("of two concurrent claims of one notice, exactly one wins and writes its events", async () => {
        const key = await fx.createKey(project.id);
        const claims = await Promise.all([
          recordNotice(key, "key.expired", key.record.expiresAt as number),
          recordNotice(key, "key.expired", key.record.expiresAt as number),
        ]);
        expect(claims.sort()).toEqual([false, true]);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([{ type: "key.expired", keyId: key.record.id }]);
      });
    });

    describe("revokeInactiveKey()", () => {
      const UNUSED_SINCE = T0 + 10 * DAY_MS;
      const revocation = { unusedSinceMs: UNUSED_SINCE, reason: "inactive for P30D", nowMs: NOW };

      it("revokes a key unused since the cutoff with the reason, writing events built from the revoked record", async () => {
        const key = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        const given: KeyRecord[] = [];
        const revoked = await lifecycle.revokeInactiveKey(key.record.id, revocation, (record) => {
          given.push(record);
          return fx.keyEvents("key.inactive_revoked")(record);
        });
        expect(revoked).toMatchObject({
          revokedAt: NOW,
          revokedReason: "inactive for P30D",
          name: key.record.name,
        });
        expect(given).toEqual([revoked]);
        expect(await stores.keys.findKey(key.record.id)).toEqual(revoked);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([
          { type: "key.inactive_revoked", keyId: key.record.id },
        ]);
      });

      it("revokes a key last used exactly at the cutoff", async () => {
        const key = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        await stores.keys.recordKeyUsage([{ id: key.record.id, lastUsedAt: UNUSED_SINCE, count: 1 }]);
        const revoked = await lifecycle.revokeInactiveKey(
          key.record.id,
          revocation,
          fx.keyEvents("key.revoked"),
        );
        expect(revoked).toMatchObject({ revokedAt: NOW, lastUsedAt: UNUSED_SINCE });
      });

      it("returns null and writes nothing for a key used since the cutoff", async () => {
        const key = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        await stores.keys.recordKeyUsage([{ id: key.record.id, lastUsedAt: UNUSED_SINCE + 1, count: 1 }]);
        expect(
          await lifecycle.revokeInactiveKey(key.record.id, revocation, fx.keyEvents("key.revoked")),
        ).toBeNull();
        expect(await stores.keys.findKey(key.record.id)).toEqual({
          ...key.record,
          lastUsedAt: UNUSED_SINCE + 1,
        });
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
      });

      it("returns null and writes nothing for a never-used key created after the cutoff", async () => {
        const key = await fx.createKey(project.id, { createdAt: UNUSED_SINCE + 1, expiresAt: null });
        expect(
          await lifecycle.revokeInactiveKey(key.record.id, revocation, fx.keyEvents("key.revoked")),
        ).toBeNull();
        expect(await stores.keys.findKey(key.record.id)).toEqual(key.record);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
      });

      it("returns null and writes nothing for a key already revoked, which keeps its first revocation", async () => {
        const key = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        const first = await stores.keys.revokeKey(key.record.id, "by hand", NOW - 1);
        expect(
          await lifecycle.revokeInactiveKey(key.record.id, revocation, fx.keyEvents("key.revoked")),
        ).toBeNull();
        expect(await stores.keys.findKey(key.record.id)).toEqual(first);
        const inactive = await fx.createKey(project.id, { createdAt: T0, expiresAt: null });
        expect(
          await lifecycle.revokeInactiveKey(inactive.record.id, revocation, fx.keyEvents("key.revoked")),
        ).not.toBeNull();
        expect(
          await lifecycle.revokeInactiveKey(inactive.record.id, revocation, fx.keyEvents("key.revoked")),
        ).toBeNull();
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([
          { type: "key.revoked", keyId: inactive.record.id },
        ]);
      });

      it("returns null for an unknown id", async () => {
        expect(
          await lifecycle.revokeInactiveKey(newId("key"), revocation, fx.keyEvents("key.revoked")),
        ).toBeNull();
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
      });
    });
  });
}
