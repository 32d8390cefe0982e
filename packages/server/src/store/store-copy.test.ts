import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import {
  dropTestSchema,
  newTestSchema,
  postgresAvailable,
  TEST_DATABASE_URL,
} from "../../test/support/services.js";
import { parseConfig } from "../config.js";
import { openInstance } from "../instance.js";
import { openSecret, type SealedSecret } from "../kms/envelope.js";
import { LocalKms } from "../kms/local-kms.js";
import { webhookSecretContext } from "../services/webhook-service.js";
import { PostgresAuditStore } from "./postgres-audit-store.js";
import { PostgresDatabase } from "./postgres-database.js";
import { PostgresIdentityStore } from "./postgres-identity-store.js";
import { PostgresKeyLifecycleStore } from "./postgres-key-lifecycle-store.js";
import { PostgresKeyRoleStore } from "./postgres-key-role-store.js";
import { PostgresKeyStore } from "./postgres-key-store.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import { PostgresPepperStore } from "./postgres-pepper-store.js";
import { PostgresSealedValueStore } from "./postgres-sealed-value-store.js";
import { PostgresSecretStore } from "./postgres-secret-store.js";
import { PostgresSourceNetworkStore } from "./postgres-source-network-store.js";
import { PostgresUserStore } from "./postgres-user-store.js";
import { PostgresWebhookStore } from "./postgres-webhook-store.js";
import { SqliteAuditStore } from "./sqlite-audit-store.js";
import { SqliteDatabase } from "./sqlite-database.js";
import { SqliteIdentityStore } from "./sqlite-identity-store.js";
import { SqliteKeyLifecycleStore } from "./sqlite-key-lifecycle-store.js";
import { SqliteKeyRoleStore } from "./sqlite-key-role-store.js";
import { SqliteKeyStore } from "./sqlite-key-store.js";
import { SqlitePepperStore } from "./sqlite-pepper-store.js";
import { SqliteSealedValueStore } from "./sqlite-sealed-value-store.js";
import { SqliteSecretStore } from "./sqlite-secret-store.js";
import { SqliteSourceNetworkStore } from "./sqlite-source-network-store.js";
import { SqliteUserStore } from "./sqlite-user-store.js";
import { SqliteWebhookStore } from "./sqlite-webhook-store.js";
import { copyStore, type StoreCopyProgress, type StoreCopyReport, verifyStoreCopy } from "./store-copy.js";
import {
  type PopulatedInstallation,
  populateSqliteInstallation,
  ROOT,
  readThroughStores,
} from "./store-copy-fixtures.js";
import { COPY_TABLES } from "./store-copy-tables.js";
import type { Stores } from "./stores.js";

const postgresUp = await postgresAvailable();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-store-copy-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openSqlite(path: string): SqliteDatabase {
  const database = new SqliteDatabase({ path });
  cleanups.push(() => database.close());
  return database;
}

/** A pool on a fresh `kw_test_<hex>` schema, dropped (after the pool ends) when the test is over. */
function openPostgres(): PostgresDatabase {
  const schema = newTestSchema();
  const database = new PostgresDatabase({ connectionString: TEST_DATABASE_URL, schema });
  cleanups.push(async () => {
    await database.close();
    await dropTestSchema(schema);
  });
  return database;
}

function sqliteStores(database: SqliteDatabase): Stores {
  return {
    keys: new SqliteKeyStore(database),
    lifecycle: new SqliteKeyLifecycleStore(database),
    webhooks: new SqliteWebhookStore(database),
    sourceNetworks: new SqliteSourceNetworkStore(database),
    peppers: new SqlitePepperStore(database),
    audit: new SqliteAuditStore(database),
    secrets: new SqliteSecretStore(database),
    sealed: new SqliteSealedValueStore(database),
    users: new SqliteUserStore(database),
    keyRoles: new SqliteKeyRoleStore(database),
    identities: new SqliteIdentityStore(database),
  };
}

function postgresStores(database: PostgresDatabase): Stores {
  return {
    keys: new PostgresKeyStore(database),
    lifecycle: new PostgresKeyLifecycleStore(database),
    webhooks: new PostgresWebhookStore(database),
    sourceNetworks: new PostgresSourceNetworkStore(database),
    peppers: new PostgresPepperStore(database),
    audit: new PostgresAuditStore(database),
    secrets: new PostgresSecretStore(database),
    sealed: new PostgresSealedValueStore(database),
    users: new PostgresUserStore(database),
    keyRoles: new PostgresKeyRoleStore(database),
    identities: new PostgresIdentityStore(database),
  };
}

/** The digests and webhook ids to look records up by, read from the populated SQLite file. */
function lookups(database: SqliteDatabase): { keys: Buffer[]; tokens: Buffer[]; webhookIds: string[] } {
  const digests = (table: string) =>
    (database.db.prepare(`SELECT digest FROM ${table} ORDER BY id`).all() as { digest: Buffer }[]).map(
      (r) => r.digest,
    );
  return {
    keys: digests("keys"),
    tokens: digests("tokens"),
    webhookIds: (database.db.prepare("SELECT id FROM webhooks ORDER BY id").all() as { id: string }[]).map(
      (r) => r.id,
    ),
  };
}

/** Rows per table of the populated installation, as the report must count them. */
function rowCounts(database: SqliteDatabase): Record<string, number> {
  return Object.fromEntries(
    COPY_TABLES.map((t) => [
      t.name,
      (database.db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n,
    ]),
  );
}

function countsOf(report: StoreCopyReport): Record<string, number> {
  return Object.fromEntries(report.tables.map((t) => [t.name, t.rows]));
}

let populated: PopulatedInstallation | undefined;
afterAll(() => {
  if (populated !== undefined) rmSync(populated.dataDir, { recursive: true, force: true });
});

/** One populated installation for the file, copied (as a file) into a fresh directory for each test. */
async function populatedSqlite(): Promise<{ fixture: PopulatedInstallation; database: SqliteDatabase }> {
  populated ??= await populateSqliteInstallation(mkdtempSync(join(tmpdir(), "keyward-store-copy-")));
  const path = join(tempDir(), "keyward.db");
  const original = new SqliteDatabase({ path: populated.databasePath });
  try {
    // VACUUM INTO: a consistent copy of the file, WAL included.
    original.db.exec(`VACUUM INTO '${path.replaceAll("'", "''")}'`);
  } finally {
    original.close();
  }
  return { fixture: populated, database: openSqlite(path) };
}

describe("copyStore() between SQLite files", () => {
  it("copies every table of a populated installation and verifies counts and digests", async () => {
    const { database: from } = await populatedSqlite();
    const to = openSqlite(join(tempDir(), "copy.db"));
    const report = await copyStore({ from, to });

    expect(report.ok).toBe(true);
    expect(report.tables.map((t) => t.name)).toEqual(COPY_TABLES.map((t) => t.name));
    expect(countsOf(report)).toEqual(rowCounts(from));
    // Every table the fixture promises to fill has rows, so the comparison below covers every table.
    expect(report.tables.filter((t) => t.rows === 0).map((t) => t.name)).toEqual([]);
    expect(report.totalRows).toBe(Object.values(rowCounts(from)).reduce((a, b) => a + b, 0));
    for (const table of report.tables) {
      expect(table).toMatchObject({ verified: true, targetRows: table.rows, targetDigest: table.digest });
      expect(table.digest).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await readThroughStores(sqliteStores(to), lookups(from))).toEqual(
      await readThroughStores(sqliteStores(from), lookups(from)),
    );
  });

  it("pages through composite primary keys with any batch size and reports progress up to each total", async () => {
    const { database: from } = await populatedSqlite();
    const to = openSqlite(join(tempDir(), "copy.db"));
    const progress: StoreCopyProgress[] = [];
    const report = await copyStore({ from, to, batchSize: 1, onProgress: (p) => progress.push(p) });

    expect(report.ok).toBe(true);
    for (const table of report.tables) {
      for (const phase of ["copy", "verify"] as const) {
        const steps = progress.filter((p) => p.phase === phase && p.table === table.name);
        expect(steps[0]).toEqual({ phase, table: table.name, copied: 0, total: table.rows });
        expect(steps.at(-1)).toEqual({ phase, table: table.name, copied: table.rows, total: table.rows });
        expect(steps.map((s) => s.copied)).toEqual([...steps.map((s) => s.copied)].sort((a, b) => a - b));
      }
    }
    expect(countsOf(await verifyStoreCopy({ from, to, batchSize: 2 }))).toEqual(countsOf(report));
  });

  it("refuses a target that holds any row, and writes nothing to it", async () => {
    const { database: from } = await populatedSqlite();
    const to = openSqlite(join(tempDir(), "copy.db"));
    await copyStore({ from, to });
    const before = rowCounts(to);

    expect((await expectKeywardError(copyStore({ from, to }), "CONFLICT")).message).toMatch(
      /The target store is not empty/,
    );
    expect(rowCounts(to)).toEqual(before);

    const bootstrapped = openSqlite(join(tempDir(), "one-row.db"));
    bootstrapped.migrate(0);
    bootstrapped.db.prepare("INSERT INTO instance_settings VALUES ('x', 'y', 0)").run();
    expect((await expectKeywardError(copyStore({ from, to: bootstrapped }), "CONFLICT")).message).toMatch(
      /not empty \(rows in instance_settings: 1\)/,
    );
  });

  it("verifyStoreCopy() names the table whose row was changed, deleted or added after the copy", async () => {
    const { database: from } = await populatedSqlite();
    const to = openSqlite(join(tempDir(), "copy.db"));
    await copyStore({ from, to });
    const failing = async () =>
      (await verifyStoreCopy({ from, to })).tables.filter((t) => !t.verified).map((t) => t.name);

    to.db.prepare("UPDATE keys SET enabled = 1 - enabled WHERE id = (SELECT max(id) FROM keys)").run();
    expect(await failing()).toEqual(["keys"]);
    to.db.prepare("UPDATE keys SET enabled = 1 - enabled WHERE id = (SELECT max(id) FROM keys)").run();
    expect((await verifyStoreCopy({ from, to })).ok).toBe(true);

    to.db.prepare("DELETE FROM key_notices").run();
    to.db.prepare("INSERT INTO ratelimit_overrides VALUES ('login', 'extra', 1, 1000, 0)").run();
    const report = await verifyStoreCopy({ from, to });
    expect(report.ok).toBe(false);
    expect(report.tables.filter((t) => !t.verified).map((t) => [t.name, t.rows, t.targetRows])).toEqual([
      ["key_notices", 1, 0],
      ["ratelimit_overrides", 3, 4],
    ]);
  });

  it("refuses to copy a store onto itself and a batch size out of range", async () => {
    const { database: from } = await populatedSqlite();
    expect((await expectKeywardError(copyStore({ from, to: from }), "VALIDATION_ERROR")).message).toMatch(
      /must be different stores/,
    );
    const to = openSqlite(join(tempDir(), "copy.db"));
    expect(
      (await expectKeywardError(copyStore({ from, to, batchSize: 0 }), "VALIDATION_ERROR")).message,
    ).toMatch(/batch size/);
  });
});

describe.skipIf(!postgresUp)("copyStore() between SQLite and PostgreSQL", () => {
  it("copies SQLite to PostgreSQL: every record reads back equal through the PostgreSQL stores", async () => {
    const { database: from } = await populatedSqlite();
    const to = openPostgres();
    const report = await copyStore({ from, to, batchSize: 2 });

    expect(report.ok).toBe(true);
    expect(countsOf(report)).toEqual(rowCounts(from));
    expect(await readThroughStores(postgresStores(to), lookups(from))).toEqual(
      await readThroughStores(sqliteStores(from), lookups(from)),
    );
  });

  it("a key created on SQLite verifies through an instance opened on the PostgreSQL copy with the same master key", async () => {
    const { fixture, database: from } = await populatedSqlite();
    const to = openPostgres();
    expect((await copyStore({ from, to })).ok).toBe(true);

    let nowMs = fixture.nowMs;
    const config = parseConfig(
      { KEYWARD_DATABASE_URL: TEST_DATABASE_URL, KEYWARD_DATABASE_SCHEMA: to.schema },
      {
        masterKey: fixture.masterKey,
        logLevel: "silent",
        schedulerEnabled: false,
        webhookDeliveryEnabled: false,
      },
    );
    const instance = await openInstance({ config, clock: { now: () => nowMs } });
    try {
      // Initialized already: the copied pepper was unsealed, no second root token was made.
      expect(instance.rootToken).toBeNull();
      const limited = await instance.keys.verifyKey(ROOT, { key: fixture.limitedKey.key, ip: "10.1.2.3" });
      expect(limited).toMatchObject({ valid: true, code: "VALID", quota: { remaining: 997 } });
      expect(limited.key?.id).toBe(fixture.limitedKey.id);
      expect(
        await instance.keys.verifyKey(ROOT, { key: fixture.limitedKey.key, ip: "192.0.2.1" }),
      ).toMatchObject({ valid: false, code: "IP_NOT_ALLOWED" });
      expect(
        await instance.keys.verifyKey(ROOT, { key: fixture.rotatedKey.previousKey, ip: "10.9.9.9" }),
      ).toMatchObject({
        valid: true,
        rotation: { replacedBy: fixture.rotatedKey.id },
      });
      expect(
        await instance.keys.verifyKey(ROOT, { key: fixture.rotatedKey.key, ip: "10.9.9.9" }),
      ).toMatchObject({ valid: true });
      expect(
        await instance.keys.verifyKey(ROOT, { key: fixture.revokedKey.key, ip: "10.9.9.9" }),
      ).toMatchObject({
        valid: false,
        code: "REVOKED",
      });
      expect(await instance.tokens.authenticate(fixture.token)).toMatchObject({
        permissions: ["keys:read"],
        projectIds: [fixture.project.id],
      });
      // The webhook's signing secret, sealed on SQLite, opens with the same master key.
      const sealed = (
        await instance.stores.webhooks.claimDeliveries({
          nowMs: nowMs + 3_600_000,
          leaseUntilMs: nowMs + 3_660_000,
          limit: 1,
        })
      )[0]?.sealedSecret;
      expect(sealed).toBeDefined();
      const secret = await openSecret(
        new LocalKms(fixture.masterKey),
        JSON.parse(sealed ?? "{}") as SealedSecret,
        webhookSecretContext(fixture.webhook.id),
      );
      expect(secret.toString("utf8")).toBe(fixture.webhook.secret);
      // Vault secrets and recoverable keys are bound to their ids, which the copy keeps: they open there too.
      expect((await instance.secrets.revealSecret(ROOT, fixture.secret.id)).value).toBe(fixture.secret.value);
      expect((await instance.secrets.revealKey(ROOT, fixture.rotatedKey.id)).key).toBe(
        fixture.rotatedKey.key,
      );
      nowMs += 7_200_000;
      expect(
        await instance.keys.verifyKey(ROOT, { key: fixture.rotatedKey.previousKey, ip: "10.9.9.9" }),
      ).toMatchObject({
        valid: false,
        code: "EXPIRED",
      });
    } finally {
      await instance.close();
    }
  });

  it("verifyStoreCopy() detects a row changed in the PostgreSQL copy", async () => {
    const { database: from } = await populatedSqlite();
    const to = openPostgres();
    await copyStore({ from, to });
    await to.query("UPDATE key_quotas SET remaining = remaining + 1");

    const report = await verifyStoreCopy({ from, to });
    expect(report.ok).toBe(false);
    expect(report.tables.filter((t) => !t.verified).map((t) => t.name)).toEqual(["key_quotas"]);
    const quotas = report.tables.find((t) => t.name === "key_quotas");
    expect(quotas?.targetRows).toBe(quotas?.rows);
    expect(quotas?.targetDigest).not.toBe(quotas?.digest);
  });

  it("refuses a PostgreSQL target that holds rows", async () => {
    const { database: from } = await populatedSqlite();
    const to = openPostgres();
    await copyStore({ from, to });
    expect((await expectKeywardError(copyStore({ from, to }), "CONFLICT")).message).toMatch(
      /The target store is not empty/,
    );
  });

  it("round trip SQLite -> PostgreSQL -> SQLite gives the same digests and the same records", async () => {
    const { database: original } = await populatedSqlite();
    const middle = openPostgres();
    const back = openSqlite(join(tempDir(), "back.db"));
    const there = await copyStore({ from: original, to: middle });
    const again = await copyStore({ from: middle, to: back, batchSize: 3 });

    expect(there.ok && again.ok).toBe(true);
    expect(again.tables).toEqual(there.tables);
    expect(await readThroughStores(sqliteStores(back), lookups(original))).toEqual(
      await readThroughStores(sqliteStores(original), lookups(original)),
    );
    expect(back.db.prepare("SELECT typeof(enabled) AS t FROM keys LIMIT 1").get()).toEqual({ t: "integer" });
  });

  it("verifies a PostgreSQL database whose default collation is linguistic (keys compared byte by byte)", async () => {
    const { database: from } = await populatedSqlite();
    const to = openPostgres();
    await to.migrate(POSTGRES_MIGRATIONS, 0);
    // What a database created with a linguistic default collation gives the columns not declared "C":
    // "Zeta" sorts after "alpha" there, before it in SQLite.
    await to.query(`ALTER TABLE instance_settings ALTER COLUMN name TYPE TEXT COLLATE "und-x-icu"`);
    await to.query(`ALTER TABLE key_notices ALTER COLUMN kind TYPE TEXT COLLATE "und-x-icu"`);
    const there = await copyStore({ from, to, batchSize: 1 });
    expect(there.ok).toBe(true);
    const back = openSqlite(join(tempDir(), "back.db"));
    expect((await copyStore({ from: to, to: back, batchSize: 1 })).ok).toBe(true);
  });

  it("copies one PostgreSQL schema to another", async () => {
    const { database: original } = await populatedSqlite();
    const first = openPostgres();
    const second = openPostgres();
    const a = await copyStore({ from: original, to: first });
    const b = await copyStore({ from: first, to: second });
    expect(b.ok).toBe(true);
    expect(b.tables).toEqual(a.tables);
  });
});
