import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { openInstance } from "../../src/instance.js";
import type { Principal } from "../../src/services/principal.js";

const PRINCIPAL: Principal = { tokenId: "tok_x", permissions: ["*"], projectIds: null };
const KEY_COUNT = 1_000;
/** Every window this long of a key's random body is looked for: a key stored split or re-encoded still shows. */
const WINDOW = 16;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyward-leak-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every regular file under `dir`, recursively, with its bytes. */
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

/** The random part of a key or token: everything after the last "_" (prefixes may contain "_", bodies never do). */
function bodyOf(secret: string): string {
  return secret.slice(secret.lastIndexOf("_") + 1);
}

/**
 * Names every file where a secret shows: the whole secret or its body as bytes (SQLite stores TEXT as UTF-8, and
 * keys are ASCII), or any WINDOW-character run of its body as bytes or as UTF-16 at either alignment (in case
 * anything ever stores it that way, or stores it split).
 */
function findLeaks(files: Map<string, Buffer>, secrets: string[]): string[] {
  const windows = new Map<string, string>();
  for (const secret of secrets) {
    const body = bodyOf(secret);
    for (let i = 0; i + WINDOW <= body.length; i++) windows.set(body.slice(i, i + WINDOW), secret);
  }
  const leaks: string[] = [];
  for (const [path, bytes] of files) {
    for (const secret of secrets) {
      if (bytes.includes(secret, 0, "latin1")) leaks.push(`${path}: key ${secret.slice(0, 8)}…`);
      else if (bytes.includes(bodyOf(secret), 0, "latin1"))
        leaks.push(`${path}: body of ${secret.slice(0, 8)}…`);
    }
    for (const text of [
      bytes.toString("latin1"),
      bytes.toString("utf16le"),
      bytes.subarray(1).toString("utf16le"),
    ]) {
      // One pass with a map lookup per position, rather than one search per window.
      for (let i = 0; i + WINDOW <= text.length; i++) {
        const secret = windows.get(text.slice(i, i + WINDOW));
        if (secret !== undefined) {
          leaks.push(`${path}@${i}: part of ${secret.slice(0, 8)}…`);
          break;
        }
      }
    }
  }
  return leaks;
}

describe("the data directory", () => {
  it("holds no plaintext key or root token in any byte of any file, before or after close", async () => {
    const instance = await openInstance({ config: parseConfig({ KEYWARD_DATA_DIR: dir }) });
    const rootToken = instance.rootToken;
    expect(rootToken).not.toBeNull();
    const project = await instance.projects.createProject(PRINCIPAL, {
      name: "leak",
      keyPrefix: "leak_test",
    });

    const keys: string[] = [];
    for (let i = 0; i < KEY_COUNT; i++) {
      const created = await instance.keys.createKey(PRINCIPAL, {
        ...(i % 2 === 0 ? { projectId: project.id } : {}),
        name: `key ${i}`,
        ownerId: `owner-${i % 7}`,
        scopes: ["orders:read"],
        meta: { index: i },
      });
      keys.push(created.key);
    }
    // Verify and revoke some, so usage batches, updates and revocations are written too.
    for (const key of keys.slice(0, 100)) {
      expect((await instance.keys.verifyKey(PRINCIPAL, { key })).valid).toBe(true);
    }
    await instance.keys.usage.flush();
    const listed = await instance.keys.listKeys(PRINCIPAL, { limit: 10 });
    for (const record of listed.items) await instance.keys.revokeKey(PRINCIPAL, record.id, "test");

    const secrets = [...keys, rootToken ?? ""];
    const open = readTree(dir);
    expect(
      [...open.keys()].some((p) => p.endsWith("-wal")),
      "the WAL holds the recent writes",
    ).toBe(true);
    expect(findLeaks(open, secrets)).toEqual([]);

    await instance.close();
    const closed = readTree(dir);
    expect([...closed.keys()].map((p) => p.slice(dir.length + 1))).toEqual(
      expect.arrayContaining(["keyward.db", "master.key"]),
    );
    expect(findLeaks(closed, secrets)).toEqual([]);

    // The scan works: the database does hold each key's display `start`, and planted secrets are found.
    const db = closed.get(join(dir, "keyward.db")) ?? Buffer.alloc(0);
    const first = keys[0] ?? "";
    expect(db.includes(first.slice(0, first.lastIndexOf("_") + 5), 0, "latin1")).toBe(true);
    const planted = (bytes: Buffer) => findLeaks(new Map([["planted", bytes]]), secrets);
    const body = bodyOf(keys[5] ?? "");
    expect(planted(Buffer.from(`x${keys[5]}x`)).length).toBeGreaterThan(0);
    expect(planted(Buffer.from(`x${body}x`)).length).toBeGreaterThan(0);
    expect(planted(Buffer.from(`x${body.slice(3, 3 + WINDOW)}x`))).toHaveLength(1);
    expect(planted(Buffer.from(`x${body.slice(3, 3 + WINDOW)}`, "utf16le"))).toHaveLength(1);
    expect(planted(Buffer.from(`${rootToken}`)).length).toBeGreaterThan(0);
  }, 120_000);
});
