import { afterEach, describe, expect, it } from "vitest";
import { openTestPostgresStores } from "../../test/support/postgres-test-stores.js";
import { newTestSchema, postgresAvailable } from "../../test/support/services.js";
import { describeAuditStoreConformance } from "./audit-store.conformance.js";
import { describeKeyLifecycleStoreConformance } from "./key-lifecycle-store.conformance.js";
import { describeSealedValueStoreConformance } from "./sealed-value-store.conformance.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import { describeWebhookStoreConformance } from "./webhook-store.conformance.js";

const postgres = await postgresAvailable();

(postgres ? describe : describe.skip)("PostgreSQL stores", () => {
  describeKeyLifecycleStoreConformance("PostgreSQL", async () => openTestPostgresStores());
  describeWebhookStoreConformance("PostgreSQL", async () => openTestPostgresStores());
  describeAuditStoreConformance("PostgreSQL", async () => openTestPostgresStores());
  describeSealedValueStoreConformance("PostgreSQL", async () => openTestPostgresStores());

  describe("two pools on one schema (two processes)", () => {
    const NOW = T0 + 3_600_000;
    const opened: Stores[] = [];

    afterEach(async () => {
      // The last closed drops the schema; the others only end their pools.
      for (const stores of opened.splice(0)) await stores.keys.close();
    });

    async function openTwice(): Promise<[Stores, Stores]> {
      const schema = newTestSchema();
      const b = openTestPostgresStores(schema);
      const a = openTestPostgresStores(schema);
      opened.push(b, a);
      await a.keys.migrate();
      await b.keys.migrate();
      return [a, b];
    }

    it("concurrent claims never lease one delivery twice, and together lease every due delivery", async () => {
      const [a, b] = await openTwice();
      const fx = new StoreFixtures(a);
      const project = await fx.createProject();
      const webhooks = [await fx.createWebhook(project.id), await fx.createWebhook(project.id)];
      const events = Array.from({ length: 40 }, () => fx.makeEvent(project.id, "key.created"));
      await a.webhooks.appendEvents(events);

      const claim = { nowMs: NOW, leaseUntilMs: NOW + 60_000, limit: 7 };
      const rounds = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).webhooks.claimDeliveries(claim)),
      );
      const leased = rounds.flat().map((c) => `${c.webhookId} ${c.eventId}`);
      expect(new Set(leased).size).toBe(leased.length);
      expect(rounds.flat().every((c) => c.attempt === 1)).toBe(true);
      const rest = [
        ...(await a.webhooks.claimDeliveries({ ...claim, limit: 100 })),
        ...(await b.webhooks.claimDeliveries({ ...claim, limit: 100 })),
      ].map((c) => `${c.webhookId} ${c.eventId}`);
      expect(new Set([...leased, ...rest]).size).toBe(leased.length + rest.length);
      expect(leased.length + rest.length).toBe(webhooks.length * events.length);
    });

    it("concurrent recordKeyNotice() of one notice: exactly one records it and writes its events", async () => {
      const [a, b] = await openTwice();
      const fx = new StoreFixtures(a);
      const project = await fx.createProject();
      const watcher = await fx.createWebhook(project.id);
      const key = await fx.createKey(project.id, { expiresAt: NOW + 1_000 });
      const notice = {
        keyId: key.record.id,
        kind: "key.expiring" as const,
        subjectAt: NOW + 1_000,
        sentAt: NOW,
      };
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? a : b).lifecycle.recordKeyNotice(notice, fx.keyEvents("key.expiring")(key.record)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await fx.eventsSeenBy(watcher.record.id)).map((e) => e.type)).toEqual(["key.expiring"]);
    });

    it("concurrent revokeInactiveKey() of one key: exactly one revokes it and writes its events", async () => {
      const [a, b] = await openTwice();
      const fx = new StoreFixtures(a);
      const project = await fx.createProject();
      const watcher = await fx.createWebhook(project.id);
      const key = await fx.createKey(project.id, { expiresAt: null });
      const revocation = { unusedSinceMs: NOW, reason: "inactive", nowMs: NOW };
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? a : b).lifecycle.revokeInactiveKey(
            key.record.id,
            revocation,
            fx.keyEvents("key.revoked"),
          ),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await fx.eventsSeenBy(watcher.record.id)).map((e) => e.type)).toEqual(["key.revoked"]);
    });
  });
});
