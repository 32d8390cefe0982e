import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  dropTestSchema,
  newTestSchema,
  postgresAvailable,
  runOnPostgres,
  TEST_DATABASE_URL,
} from "../../test/support/services.js";
import { type Config, parseConfig } from "../config.js";
import { DATABASE_FILE, openInstance } from "../instance.js";
import type { Principal } from "../services/principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const postgres = await postgresAvailable();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The schema as migration v8 left it, with this store's data: the pepper back in instance_settings, no
 * `peppers` table, no `pepper_version` columns. Same statements on both dialects.
 */
const BACK_TO_V8 = [
  "INSERT INTO instance_settings (name, value, created_at) SELECT name, sealed_pepper, created_at FROM peppers WHERE version = 1",
  "DROP TABLE peppers",
  // A later migration's partial index on pending imported keys reads pepper_version: SQLite cannot drop it under it.
  "DROP INDEX IF EXISTS keys_imported_pending",
  "ALTER TABLE keys DROP COLUMN pepper_version",
  "ALTER TABLE tokens DROP COLUMN pepper_version",
  "DELETE FROM schema_migrations WHERE version = 9",
];

/**
 * A store made before pepper versions: its keys and root token were digested with the pepper kept in
 * instance_settings. Migration v9 must move that pepper, so every key and token still verifies after the upgrade.
 */
async function expectUpgradeKeepsKeys(config: Config, downgrade: () => Promise<void>): Promise<void> {
  const first = await openInstance({ config });
  const token = first.rootToken as string;
  const keys = await Promise.all([1, 2, 3].map(() => first.keys.createKey(root, {})));
  await first.close();
  await downgrade();

  const upgraded = await openInstance({ config });
  try {
    expect(await upgraded.tokens.authenticate(token)).not.toBeNull();
    for (const { key } of keys) {
      expect(await upgraded.keys.verifyKey(root, { key })).toMatchObject({ valid: true });
    }
    const [only, ...others] = await upgraded.stores.peppers.listPeppers();
    expect(others).toEqual([]);
    expect(only).toMatchObject({ name: "pepper", version: 1, retiredAt: null });
    expect(await upgraded.store.readInstanceSetting("pepper")).toBeNull();
    expect(await upgraded.stores.peppers.pepperUsage()).toEqual([
      { version: 1, keys: { active: 3, revoked: 0 }, tokens: { active: 1, revoked: 0 } },
    ]);
  } finally {
    await upgraded.close();
  }
}

describe("migration v9 (pepper versions)", () => {
  it("moves the pepper of a SQLite store made before it, and its keys and tokens keep verifying", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keyward-pepper-migration-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = parseConfig(
      { KEYWARD_DATA_DIR: dataDir },
      { logLevel: "silent", schedulerEnabled: false },
    );
    await expectUpgradeKeepsKeys(config, async () => {
      const db = new Database(join(dataDir, DATABASE_FILE));
      try {
        db.transaction(() => {
          for (const sql of BACK_TO_V8) db.exec(sql);
        })();
      } finally {
        db.close();
      }
    });
  });

  it.skipIf(!postgres)("moves the pepper of a PostgreSQL store made before it", async () => {
    const schema = newTestSchema();
    cleanups.push(() => dropTestSchema(schema));
    const config = parseConfig(
      { KEYWARD_DATABASE_URL: TEST_DATABASE_URL, KEYWARD_DATABASE_SCHEMA: schema },
      { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false },
    );
    await expectUpgradeKeepsKeys(config, async () => {
      await runOnPostgres(
        ["BEGIN", `SET LOCAL search_path TO ${schema}`, ...BACK_TO_V8, "COMMIT"].join(";\n"),
      );
    });
  });
});
