import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { DATABASE_FILE } from "../instance.js";
import { webhookSecretContext } from "../services/webhook-service.js";
import type { SealedValueStore } from "../store/sealed-value-store.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import { populateSqliteInstallation } from "../store/store-copy-fixtures.js";
import { StoreFixtures } from "../store/store-fixtures.js";
import type { Stores } from "../store/stores.js";
import { openSecret, type SealedSecret, sealSecret } from "./envelope.js";
import { LocalKms } from "./local-kms.js";
import { loadOrCreateMasterKeyring, MASTER_KEY_FILE } from "./master-key.js";
import { MasterKeyRotation } from "./master-key-rotation.js";
import { SEALED_COLUMNS } from "./sealed-columns.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-kms-rotation-"));
  dirs.push(dir);
  return dir;
}

function webhookColumn() {
  const column = SEALED_COLUMNS.find((c) => c.table === "webhooks");
  if (column === undefined) throw new Error("webhooks are not in SEALED_COLUMNS");
  return column;
}

describe("MasterKeyRotation", () => {
  let stores: Stores;
  let kms: LocalKms;
  let secrets: Map<string, Buffer>;
  let keyringDir: string;

  beforeEach(async () => {
    const dir = tempDir();
    keyringDir = dir;
    kms = new LocalKms(loadOrCreateMasterKeyring(dir), { file: join(dir, MASTER_KEY_FILE) });
    stores = openSqliteStores({ path: join(dir, DATABASE_FILE) });
    await stores.keys.migrate();
    const fx = new StoreFixtures(stores);
    const project = await fx.createProject();
    secrets = new Map();
    // More than one page (500) of sealed values, so an interrupted run stops in the middle.
    for (let i = 0; i < 1_200; i += 1) {
      const webhook = fx.makeWebhook(project.id);
      const secret = Buffer.from(`whsec_${i}`);
      secrets.set(webhook.record.id, secret);
      const sealed = await sealSecret(kms, secret, webhookSecretContext(webhook.record.id));
      await stores.webhooks.createWebhook({ ...webhook, sealedSecret: JSON.stringify(sealed) });
    }
  });

  afterEach(async () => {
    await stores.keys.close();
  });

  async function expectAllOpen(): Promise<void> {
    for (const row of await stores.sealed.readSealedValues(webhookColumn(), null, 10_000)) {
      const opened = await openSecret(
        kms,
        JSON.parse(row.value) as SealedSecret,
        webhookSecretContext(row.id),
      );
      expect(opened.equals(secrets.get(row.id) ?? Buffer.alloc(0))).toBe(true);
    }
  }

  it("moves every sealed value to a new version, and every value still opens", async () => {
    const rotation = new MasterKeyRotation({ store: stores.sealed, kms });
    const before = kms.keyId;
    const report = await rotation.rotate();
    expect(report).toMatchObject({
      visited: 1_200,
      rewrapped: 1_200,
      alreadyCurrent: 0,
      previousKeyId: before,
    });
    expect(report.keyId).not.toBe(before);
    expect(await rotation.status()).toEqual({
      versions: [
        { keyId: before, current: false, sealedValues: 0 },
        { keyId: report.keyId, current: true, sealedValues: 1_200 },
      ],
      unknownVersions: [],
      pending: 0,
    });
    await expectAllOpen();
    await rotation.retire(before);
    await expectAllOpen();
  });

  it("resumes an interrupted rotation where it stopped, without making another version", async () => {
    const rotation = new MasterKeyRotation({ store: stores.sealed, kms });
    const interrupted = rotation.rotate({
      onProgress: (p) => {
        if (p.visited >= 500) throw new Error("killed");
      },
    });
    await expect(interrupted).rejects.toThrow("killed");
    const midway = await rotation.status();
    expect(midway.pending).toBe(700);
    await expectKeywardError(rotation.retire(midway.versions[0]?.keyId ?? ""), "CONFLICT");
    await expectAllOpen();
    const resumed = await rotation.rotate({ resume: true });
    expect(resumed).toMatchObject({ rewrapped: 700, alreadyCurrent: 500, keyId: midway.versions[1]?.keyId });
    expect((await rotation.status()).pending).toBe(0);
    expect(await kms.keyVersions()).toHaveLength(2);
    await expectAllOpen();
  });

  it("never overwrites a value a server re-sealed during the run", async () => {
    const [first] = await stores.sealed.readSealedValues(webhookColumn(), null, 1);
    if (first === undefined) throw new Error("no value");
    const replacement = Buffer.from("whsec_rotated_by_a_server");
    let raced = false;
    // A store whose first swap finds the row re-sealed a moment earlier by a server that has not seen the new
    // version yet (so under the old one): the swap loses, and the next pass moves the server's value.
    const racing: SealedValueStore = {
      readSealedValues: (c, a, l) => stores.sealed.readSealedValues(c, a, l),
      countSealedValues: (c) => stores.sealed.countSealedValues(c),
      async replaceSealedValues(column, replacements) {
        const target = replacements.find((r) => r.id === first.id);
        if (!raced && target !== undefined) {
          raced = true;
          const [oldest] = loadOrCreateMasterKeyring(keyringDir);
          const server = new LocalKms(oldest ?? Buffer.alloc(0));
          const resealed = await sealSecret(server, replacement, webhookSecretContext(first.id));
          secrets.set(first.id, replacement);
          await stores.sealed.replaceSealedValues(column, [
            { id: first.id, expected: target.expected, next: JSON.stringify(resealed) },
          ]);
        }
        return stores.sealed.replaceSealedValues(column, replacements);
      },
    };
    const rotation = new MasterKeyRotation({ store: racing, kms });
    await rotation.rotate();
    expect(raced).toBe(true);
    expect((await new MasterKeyRotation({ store: stores.sealed, kms }).status()).pending).toBe(0);
    await expectAllOpen();
  });
});

describe("SEALED_COLUMNS", () => {
  it("names every column of a populated installation that holds a sealed value", async () => {
    const installation = await populateSqliteInstallation(tempDir());
    const db = new Database(installation.databasePath, { readonly: true });
    try {
      const found = new Set<string>();
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[];
      for (const { name } of tables) {
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
          for (const [column, value] of Object.entries(row)) {
            if (typeof value === "string" && /"dek":/.test(value) && /"ct":/.test(value)) {
              found.add(`${name}.${column}`);
            }
          }
        }
      }
      const listed = new Set(SEALED_COLUMNS.map((c) => `${c.table}.${c.valueColumn}`));
      expect([...found].filter((column) => !listed.has(column))).toEqual([]);
      expect(found.size).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
