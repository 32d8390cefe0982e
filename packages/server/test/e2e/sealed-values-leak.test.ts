import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSecret, type SealedSecret } from "../../src/kms/envelope.js";
import { LocalKms } from "../../src/kms/local-kms.js";
import { FIRST_PEPPER_NAME } from "../../src/store/pepper-store.js";
import { SqliteDatabase } from "../../src/store/sqlite-database.js";
import { isServerBuilt, type ServerProcess, startServerProcess } from "../support/server-process.js";
import {
  dropTestSchema,
  newTestSchema,
  postgresAvailable,
  runOnPostgres,
  TEST_DATABASE_URL,
} from "../support/services.js";

const built = isServerBuilt();
const postgres = built && (await postgresAvailable());

const KEY_COUNT = 1_000;
const SECRET_COUNT = 100;
const WEBHOOK_COUNT = 10;
/** Needles are looked up by their first bytes: every needle is at least this long. */
const PROBE = 12;

/** One thing that must not be found, in one encoding. */
interface Needle {
  label: string;
  bytes: Buffer;
}

/**
 * Every form a secret could be stored in by mistake: its bytes, hex (both cases), and base64 and base64url at each
 * of the three byte alignments it could sit at inside a longer encoded blob (the characters that depend on its
 * neighbours cut off).
 */
function formsOf(label: string, secret: Buffer): Needle[] {
  const forms: Needle[] = [
    { label: `${label} (bytes)`, bytes: secret },
    { label: `${label} (hex)`, bytes: Buffer.from(secret.toString("hex")) },
    { label: `${label} (HEX)`, bytes: Buffer.from(secret.toString("hex").toUpperCase()) },
  ];
  for (const encoding of ["base64", "base64url"] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const encoded = Buffer.concat([Buffer.alloc(shift), secret])
        .toString(encoding)
        .replace(/=+$/, "");
      const core = encoded.slice(shift === 0 ? 0 : 4, encoded.length - 4);
      forms.push({ label: `${label} (${encoding}+${shift})`, bytes: Buffer.from(core) });
    }
  }
  return forms;
}

/** What a key's or token's random body is: everything after the last "_". */
function bodyOf(secret: string): string {
  return secret.slice(secret.lastIndexOf("_") + 1);
}

/** The needles of one plaintext string (its whole, and its random body alone). */
function needlesOf(label: string, plaintext: string): Needle[] {
  return [
    ...formsOf(label, Buffer.from(plaintext, "utf8")),
    ...(plaintext.includes("_") ? formsOf(`${label} body`, Buffer.from(bodyOf(plaintext), "utf8")) : []),
  ];
}

/**
 * Names every needle found in `files`, in one pass per file: needles are indexed by their first PROBE bytes, and
 * each position of a file is looked up once (a search per needle would read the files thousands of times).
 */
function findLeaks(files: Map<string, Buffer>, needles: readonly Needle[]): string[] {
  const byProbe = new Map<string, Needle[]>();
  for (const needle of needles) {
    if (needle.bytes.length < PROBE) throw new Error(`${needle.label} is too short to look for`);
    const probe = needle.bytes.subarray(0, PROBE).toString("latin1");
    byProbe.set(probe, [...(byProbe.get(probe) ?? []), needle]);
  }
  const leaks: string[] = [];
  for (const [path, bytes] of files) {
    const text = bytes.toString("latin1");
    for (let i = 0; i + PROBE <= text.length; i++) {
      const candidates = byProbe.get(text.slice(i, i + PROBE));
      if (candidates === undefined) continue;
      for (const needle of candidates) {
        if (bytes.subarray(i, i + needle.bytes.length).equals(needle.bytes)) {
          leaks.push(`${path}@${i}: ${needle.label}`);
        }
      }
    }
  }
  return leaks;
}

/** Every regular file under `root`, recursively, with its bytes. */
function readTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, readFileSync(path));
    }
  }
  return files;
}

/** An HTTP client of one server, as the root token. */
function clientOf(server: ServerProcess) {
  const token = server.rootToken;
  if (token === null) throw new Error("a fresh server prints its root token");
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
}

/** Runs `work` on every item, `width` at a time. */
async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** What the populated server holds that must never be found in plaintext, as needles. */
interface Populated {
  needles: Needle[];
  /** A few of the plaintexts, to prove the scan finds them when they are planted. */
  samples: { key: string; secret: string; webhookSecret: string };
  /** Recoverable copies left: one per key of the recoverable project, less those revoked (revoking deletes it). */
  copies: number;
}

/**
 * Through the API of a running server: 1,000 keys (half in a project that keeps recoverable copies, some verified,
 * revealed and revoked), 100 vault secrets (some updated and revealed) and 10 webhooks with their signing secrets.
 */
async function populate(server: ServerProcess): Promise<Populated> {
  const call = clientOf(server);
  const plain = (await call("POST", "/v1/projects", { name: "plain", keyPrefix: "leak" })).id as string;
  const recoverable = (await call("POST", "/v1/projects", { name: "kept", keyPrefix: "kept" })).id as string;
  await call("PATCH", `/v1/projects/${recoverable}`, { recoverableKeys: true });

  const keys: { id: string; key: string }[] = [];
  await inParallel(
    Array.from({ length: KEY_COUNT }, (_, i) => i),
    16,
    async (i) => {
      const created = await call("POST", "/v1/keys", {
        projectId: i % 2 === 0 ? recoverable : plain,
        name: `key ${i}`,
        meta: { index: i },
      });
      keys.push({ id: created.id as string, key: created.key as string });
    },
  );
  for (const { key } of keys.slice(0, 50)) await call("POST", "/v1/keys/verify", { key });
  const kept = keys.filter((k) => k.key.startsWith("kept_"));
  for (const { id, key } of kept.slice(0, 4)) {
    expect((await call("POST", `/v1/keys/${id}/reveal`)).key).toBe(key);
  }
  const revoked = keys.slice(100, 110);
  for (const { id } of revoked) await call("POST", `/v1/keys/${id}/revoke`, { reason: "test" });
  const copies =
    keys.filter((k) => k.key.startsWith("kept_")).length -
    revoked.filter((k) => k.key.startsWith("kept_")).length;

  const values: string[] = [];
  const secretIds: string[] = [];
  await inParallel(
    Array.from({ length: SECRET_COUNT }, (_, i) => i),
    16,
    async (i) => {
      const value = `upstream-${i}-${randomBytes(24).toString("base64url")}`;
      const created = await call("POST", "/v1/secrets", {
        projectId: i % 2 === 0 ? plain : recoverable,
        name: `S${i}`,
        value,
      });
      values.push(value);
      secretIds.push(created.id as string);
    },
  );
  for (const id of secretIds.slice(0, 5)) {
    const value = `replaced-${randomBytes(24).toString("base64url")}`;
    await call("PATCH", `/v1/secrets/${id}`, { value });
    values.push(value);
    expect((await call("POST", `/v1/secrets/${id}/reveal`)).value).toBe(value);
  }

  const webhookSecrets: string[] = [];
  for (let i = 0; i < WEBHOOK_COUNT; i++) {
    const created = await call("POST", "/v1/webhooks", {
      projectId: i % 2 === 0 ? plain : recoverable,
      url: `https://hooks.example.com/leak/${i}`,
      events: ["*"],
    });
    webhookSecrets.push(created.secret as string);
  }

  const needles: Needle[] = [];
  for (const { key } of keys) needles.push(...needlesOf("key", key));
  for (const value of values) needles.push(...formsOf("secret value", Buffer.from(value, "utf8")));
  for (const secret of webhookSecrets) {
    needles.push(...needlesOf("webhook secret", secret));
    // The signing key itself: the bytes the whsec_ string encodes.
    needles.push(...formsOf("webhook signing key", Buffer.from(bodyOf(secret), "base64")));
  }
  needles.push(...needlesOf("root token", server.rootToken ?? ""));
  const sample = keys[0]?.key ?? "";
  return {
    needles,
    samples: { key: sample, secret: values[0] ?? "", webhookSecret: webhookSecrets[0] ?? "" },
    copies,
  };
}

/** The pepper, unsealed from its instance setting with the master key, and its needles. */
async function pepperNeedles(sealedPepper: string, masterKey: Buffer): Promise<Needle[]> {
  const pepper = await openSecret(
    new LocalKms(masterKey),
    JSON.parse(sealedPepper) as SealedSecret,
    FIRST_PEPPER_NAME,
  );
  expect(pepper).toHaveLength(32);
  return formsOf("pepper", pepper);
}

/** The scan does find what it looks for: every planted form of a sample is reported. */
function expectScanFinds(populated: Populated, needles: readonly Needle[]): void {
  const { key, secret, webhookSecret } = populated.samples;
  for (const [label, planted] of [
    ["key", Buffer.from(`x${key}x`)],
    ["key body as base64", Buffer.from(`"${Buffer.from(`..${bodyOf(key)}`).toString("base64")}"`)],
    ["secret as hex", Buffer.from(`\\x${Buffer.from(secret).toString("hex")}`)],
    ["secret as base64url", Buffer.from(Buffer.from(`a${secret}`).toString("base64url"))],
    ["webhook secret", Buffer.from(webhookSecret)],
    ["webhook key bytes", Buffer.from(bodyOf(webhookSecret), "base64")],
  ] as const) {
    expect(findLeaks(new Map([[label, planted]]), needles).length, label).toBeGreaterThan(0);
  }
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe.skipIf(!built)("no plaintext key, secret or pepper at rest: SQLite", () => {
  it("after 1,000 keys, 100 secrets and 10 webhooks, no byte of the database files (WAL included) holds one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-sealed-leak-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const masterKey = randomBytes(32);
    const server = await startServerProcess({
      KEYWARD_DATA_DIR: dir,
      KEYWARD_MASTER_KEY: masterKey.toString("base64"),
      KEYWARD_WEBHOOK_DELIVERY_ENABLED: "false",
      KEYWARD_SCHEDULER_ENABLED: "false",
      KEYWARD_USAGE_FLUSH_MS: "50",
    });
    cleanups.push(async () => {
      await server.kill();
    });
    const populated = await populate(server);

    const open = readTree(dir);
    expect(
      [...open.keys()].some((p) => p.endsWith("-wal")),
      "the WAL holds the recent writes",
    ).toBe(true);
    expect(await server.stop()).toBe(0);
    const closed = readTree(dir);

    const database = new SqliteDatabase({ path: join(dir, "keyward.db") });
    const sealed = database.db
      .prepare("SELECT sealed_pepper AS value FROM peppers WHERE name = ?")
      .get(FIRST_PEPPER_NAME) as {
      value: string;
    };
    const counts = database.db
      .prepare(
        "SELECT (SELECT count(*) FROM secrets) AS secrets, (SELECT count(*) FROM key_recoveries) AS copies",
      )
      .get() as { secrets: number; copies: number };
    database.close();
    expect(counts).toEqual({ secrets: SECRET_COUNT, copies: populated.copies });

    const needles = [...populated.needles, ...(await pepperNeedles(sealed.value, masterKey))];
    expect(findLeaks(open, needles)).toEqual([]);
    expect(findLeaks(closed, needles)).toEqual([]);
    expectScanFinds(populated, needles);
  }, 180_000);
});

describe.skipIf(!postgres)("no plaintext key, secret or pepper at rest: PostgreSQL", () => {
  it("after 1,000 keys, 100 secrets and 10 webhooks, no byte of a pg_dump holds one", async () => {
    const schema = newTestSchema();
    cleanups.push(() => dropTestSchema(schema));
    const masterKey = randomBytes(32);
    const dir = mkdtempSync(join(tmpdir(), "keyward-sealed-leak-pg-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await startServerProcess({
      KEYWARD_DATA_DIR: dir,
      KEYWARD_DATABASE_URL: TEST_DATABASE_URL,
      KEYWARD_DATABASE_SCHEMA: schema,
      KEYWARD_MASTER_KEY: masterKey.toString("base64"),
      KEYWARD_WEBHOOK_DELIVERY_ENABLED: "false",
      KEYWARD_SCHEDULER_ENABLED: "false",
      KEYWARD_USAGE_FLUSH_MS: "50",
    });
    cleanups.push(async () => {
      await server.kill();
    });
    const populated = await populate(server);
    expect(await server.stop()).toBe(0);

    // Plain text and the custom format (compressed off, so the scan reads the rows themselves).
    const dumps = new Map<string, Buffer>();
    for (const format of ["plain", "custom"] as const) {
      dumps.set(
        `pg_dump --format=${format}`,
        execFileSync(
          "/usr/bin/pg_dump",
          [`--dbname=${TEST_DATABASE_URL}`, `--schema=${schema}`, `--format=${format}`, "--compress=0"],
          { maxBuffer: 512 * 1024 * 1024 },
        ),
      );
    }
    const [row] = await runOnPostgres<{ value: string; secrets: string; copies: string }>(
      `SELECT sealed_pepper AS value, (SELECT count(*) FROM ${schema}.secrets) AS secrets,
         (SELECT count(*) FROM ${schema}.key_recoveries) AS copies
       FROM ${schema}.peppers WHERE name = $1`,
      [FIRST_PEPPER_NAME],
    );
    expect({ secrets: Number(row?.secrets), copies: Number(row?.copies) }).toEqual({
      secrets: SECRET_COUNT,
      copies: populated.copies,
    });
    const plainDump = dumps.get("pg_dump --format=plain")?.toString("utf8") ?? "";
    expect(plainDump, "the dump holds the rows").toContain("COPY");
    expect(plainDump).toContain("sealed_value");

    const needles = [...populated.needles, ...(await pepperNeedles(row?.value ?? "", masterKey))];
    expect(findLeaks(dumps, needles)).toEqual([]);
    expect(findLeaks(readTree(dir), needles)).toEqual([]);
    expectScanFinds(populated, needles);
  }, 180_000);
});
