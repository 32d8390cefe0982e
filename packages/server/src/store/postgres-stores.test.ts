import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { isServiceAvailable } from "../../test/support/require-service.js";
import { describeKeyLifecycleStoreConformance } from "./key-lifecycle-store.conformance.js";
import { openPostgresStores } from "./postgres-stores.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import { describeWebhookStoreConformance } from "./webhook-store.conformance.js";

const DATABASE_URL = process.env.KEYWARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const postgresAvailable = await isServiceAvailable({
  // The host only: a URL in CI may carry a password.
  name: `PostgreSQL at ${new URL(DATABASE_URL).host} (KEYWARD_TEST_DATABASE_URL)`,
  probe: async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
    } finally {
      await client.end().catch(() => {});
    }
  },
});

/** Drops a test schema through a short-lived connection of its own. */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Stores in a fresh, unmigrated schema of their own (`sharing` opens more stores on that schema, as another
 * process would); closing the first ends its pool and drops the schema.
 */
function openFreshStores(schema = `kw_test_${randomBytes(8).toString("hex")}`): Stores {
  const stores = openPostgresStores({ connectionString: DATABASE_URL, schema });
  const close = stores.keys.close.bind(stores.keys);
  stores.keys.close = async () => {
    try {
      await close();
    } finally {
      await dropSchema(schema);
    }
  };
  return stores;
}

(postgresAvailable ? describe : describe.skip)("PostgreSQL stores", () => {
  describeKeyLifecycleStoreConformance("PostgreSQL", async () => openFreshStores());
  describeWebhookStoreConformance("PostgreSQL", async () => openFreshStores());

  describe("two pools on one schema (two processes)", () => {
    const NOW = T0 + 3_600_000;
    const opened: Stores[] = [];

    afterEach(async () => {
      // The first closed drops the schema; the others only end their pools.
      for (const stores of opened.splice(0)) await stores.keys.close();
    });

    async function openTwice(): Promise<[Stores, Stores]> {
      const schema = `kw_test_${randomBytes(8).toString("hex")}`;
      const b = openPostgresStores({ connectionString: DATABASE_URL, schema });
      const a = openFreshStores(schema);
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
