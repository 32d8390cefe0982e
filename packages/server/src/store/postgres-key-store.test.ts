import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { openTestPostgresStores } from "../../test/support/postgres-test-stores.js";
import {
  newTestSchema,
  postgresAvailable,
  runOnPostgres,
  TEST_DATABASE_URL,
} from "../../test/support/services.js";
import { describeKeyStoreConformance } from "./key-store.conformance.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import { openPostgresStores } from "./postgres-stores.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

const postgres = await postgresAvailable();

(postgres ? describe : describe.skip)("PostgresKeyStore", () => {
  describeKeyStoreConformance("PostgreSQL", async () => openTestPostgresStores());

  describe("on a real PostgreSQL", () => {
    const opened: Stores[] = [];

    afterEach(async () => {
      for (const stores of opened.splice(0).reverse()) await stores.keys.close();
    });

    async function open(schema?: string): Promise<Stores> {
      const stores = openTestPostgresStores(schema);
      opened.push(stores);
      await stores.keys.migrate();
      return stores;
    }

    it("records every migration in schema_migrations, once, however often and from however many nodes migrate() runs", async () => {
      const schema = newTestSchema();
      const a = openTestPostgresStores(schema);
      const b = openTestPostgresStores(schema);
      opened.push(a, b);
      await Promise.all([a.keys.migrate(), b.keys.migrate(), a.keys.migrate()]);
      const rows = await runOnPostgres(
        `SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`,
      );
      expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    });

    it("looks keys and tokens up by digest through their unique index, never a table scan", async () => {
      const schema = newTestSchema();
      await open(schema);
      for (const table of ["keys", "tokens"]) {
        // Tiny tables make a sequential scan cheapest; forbidding it shows which index the lookup can use.
        const rows = await runOnPostgres<{ "QUERY PLAN": string }>(
          `SET enable_seqscan = off; EXPLAIN SELECT * FROM ${schema}.${table} WHERE digest = '\\x00'::bytea`,
        );
        const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
        expect(plan).toMatch(new RegExp(`Index (Only )?Scan using ${table}_digest_key`));
        expect(plan).not.toContain("Seq Scan");
      }
    });

    it("of two nodes bootstrapping at once, exactly one wins and the other writes nothing", async () => {
      const schema = newTestSchema();
      const a = await open(schema);
      const b = await open(schema);
      const fa = new StoreFixtures(a);
      const fb = new StoreFixtures(b);
      const seed = (fx: StoreFixtures) => ({
        sealedPepper: randomBytes(8).toString("hex"),
        defaultProject: fx.makeProject({ name: "default", keyPrefix: "kw" }),
        rootToken: fx.makeToken({ name: "root", permissions: ["*"] }),
      });
      const [sa, sb] = [seed(fa), seed(fb)];
      const results = await Promise.all([a.keys.bootstrap(sa), b.keys.bootstrap(sb)]);
      expect([...results].sort()).toEqual([false, true]);
      const winner = results[0] ? sa : sb;
      const loser = results[0] ? sb : sa;
      expect((await b.peppers.listPeppers()).map((p) => p.sealedPepper)).toEqual([winner.sealedPepper]);
      expect(await a.keys.findProject(loser.defaultProject.id)).toBeNull();
      expect(await a.keys.findToken(loser.rootToken.record.id)).toBeNull();
    });

    it("of two nodes revoking one key at once, one revocation is kept and its events are written once", async () => {
      const schema = newTestSchema();
      const a = await open(schema);
      const b = await open(schema);
      const fx = new StoreFixtures(a);
      const project = await fx.createProject();
      const webhook = await fx.createWebhook(project.id);
      const key = await fx.createKey(project.id);
      const [ra, rb] = await Promise.all([
        a.keys.revokeKey(key.record.id, "a", T0 + 1, fx.keyEvents("key.revoked")),
        b.keys.revokeKey(key.record.id, "b", T0 + 2, fx.keyEvents("key.revoked")),
      ]);
      expect(ra?.revokedReason).toBe(rb?.revokedReason);
      expect(await fx.eventsSeenBy(webhook.record.id)).toEqual([
        { type: "key.revoked", keyId: key.record.id },
      ]);
    });

    it("adds concurrent usage batches from several nodes up, without losing a count", async () => {
      const schema = newTestSchema();
      const a = await open(schema);
      const b = await open(schema);
      const fx = new StoreFixtures(a);
      const project = await fx.createProject();
      const keys = [await fx.createKey(project.id), await fx.createKey(project.id)];
      const batch = (offset: number) =>
        keys.flatMap((k, i) => [
          { id: k.record.id, lastUsedAt: T0 + offset + i, count: 2 },
          { id: k.record.id, lastUsedAt: T0 + i, count: 1 },
        ]);
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => a.keys.recordKeyUsage(batch(i))),
        ...Array.from({ length: 5 }, (_, i) => b.keys.recordKeyUsage(batch(10 + i))),
      ]);
      const counts = await runOnPostgres<{ verification_count: string }>(
        `SELECT verification_count FROM ${schema}.key_usage ORDER BY key_id`,
      );
      expect(counts.map((r) => Number(r.verification_count))).toEqual([30, 30]);
      expect((await b.keys.findKey(keys[1]?.record.id as string))?.lastUsedAt).toBe(T0 + 15);
    });

    it("ping() throws STORE_UNAVAILABLE once the store is closed, and close() may run twice", async () => {
      const stores = openPostgresStores({ connectionString: TEST_DATABASE_URL });
      await stores.keys.ping();
      await stores.keys.close();
      await stores.keys.close();
      await expectKeywardError(stores.keys.ping(), "STORE_UNAVAILABLE");
    });
  });
});
