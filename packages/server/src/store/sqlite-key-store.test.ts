import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestKey } from "@keyward/core/digest-key.js";
import { newId } from "@keyward/core/ids.js";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { describeKeyStoreConformance } from "./key-store.conformance.js";
import { SqliteKeyStore } from "./sqlite-key-store.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import { openSqliteStores } from "./sqlite-stores.js";

const tempDirs: string[] = [];

function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-sqlite-"));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describeKeyStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));

describeKeyStoreConformance("SQLite file", async () =>
  openSqliteStores({ path: join(makeTempDir(), "nested", "keyward.db") }),
);

describe("SqliteKeyStore on a file", () => {
  const T0 = Date.parse("2026-11-28T09:00:00.000Z");
  const pepper = Buffer.alloc(32, 7);
  let path: string;
  const opened: Array<{ close(): unknown }> = [];

  beforeEach(() => {
    path = join(makeTempDir(), "keyward.db");
  });

  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
  });

  async function openStore(): Promise<SqliteKeyStore> {
    const store = new SqliteKeyStore({ path });
    opened.push(store);
    await store.migrate();
    return store;
  }

  /** A second, raw connection to the same file, to look at what the store wrote. */
  function inspect(): Database.Database {
    const db = new Database(path, { readonly: true });
    opened.push(db);
    return db;
  }

  it("puts the database in WAL journal mode", async () => {
    await openStore();
    expect(inspect().pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("two stores on one file see each other's writes", async () => {
    const a = await openStore();
    const b = await openStore();
    const project = {
      id: newId("proj"),
      name: "shared",
      keyPrefix: "kw",
      policies: {},
      ipAllowlist: null,
      timezone: "UTC",
      recoverableKeys: false,
      require2fa: false,
      createdAt: T0,
    };
    await a.createProject(project);
    expect(await b.findProject(project.id)).toEqual(project);

    const digest = digestKey("kw_example", pepper);
    await b.createKey({
      digest,
      pepperVersion: 1,
      record: {
        id: newId("key"),
        projectId: project.id,
        name: null,
        ownerId: null,
        start: "kw_exam",
        scopes: [],
        roles: [],
        meta: {},
        createdAt: T0,
        updatedAt: T0,
        expiresAt: null,
        enabled: true,
        revokedAt: null,
        revokedReason: null,
        lastUsedAt: null,
        replacedBy: null,
        replaces: null,
        rateLimits: [],
        quota: null,
        ipAllowlist: null,
        canary: false,
      },
    });
    const seen = await a.findKeyByDigest(digest);
    expect(seen?.record.projectId).toBe(project.id);
    await a.revokeKey(seen?.record.id as string, "rotated", T0 + 1);
    expect((await b.findKey(seen?.record.id as string))?.revokedReason).toBe("rotated");
  });

  it("looks keys and tokens up by digest through a unique index, never a table scan", async () => {
    await openStore();
    const db = inspect();
    for (const table of ["keys", "tokens"]) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT * FROM ${table} WHERE digest = ?`)
        .all(Buffer.alloc(32)) as { detail: string }[];
      const details = plan.map((row) => row.detail).join("\n");
      expect(details).toContain(`SEARCH ${table} USING INDEX sqlite_autoindex_${table}_`);
      expect(details).toContain("(digest=?)");
      expect(details).not.toMatch(new RegExp(`^SCAN ${table}`, "m"));
    }
  });

  it("records every migration in schema_migrations, once, however often migrate() runs", async () => {
    const store = await openStore();
    await store.migrate();
    await (await openStore()).migrate();
    const rows = inspect().prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    expect(rows).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it("creates missing parent directories for the database file", async () => {
    path = join(makeTempDir(), "a", "b", "keyward.db");
    const store = await openStore();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("ping() throws STORE_UNAVAILABLE once the store is closed, and close() may run twice", async () => {
    const store = await openStore();
    await store.ping();
    await store.close();
    await store.close();
    await expectKeywardError(store.ping(), "STORE_UNAVAILABLE");
  });
});
