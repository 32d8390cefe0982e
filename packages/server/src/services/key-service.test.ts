import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import type { KeyStore } from "../store/key-store.js";
import { SqliteKeyStore } from "../store/sqlite-key-store.js";
import { KeyService } from "./key-service.js";
import type { Principal } from "./principal.js";
import { ProjectService } from "./project-service.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };

/** A real SQLite store whose calls are counted, so tests can see which verifications reach storage. */
function countingStore(store: KeyStore): { store: KeyStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: counted, calls };
}

let sqlite: SqliteKeyStore;
let calls: Map<string, number>;
let clock: ManualClock;
let keys: KeyService;
let projectId: string;

beforeEach(async () => {
  sqlite = new SqliteKeyStore({ path: ":memory:" });
  await sqlite.migrate();
  const counted = countingStore(sqlite);
  calls = counted.calls;
  clock = new ManualClock();
  const projects = new ProjectService({ store: counted.store, clock, defaultProjectId: async () => null });
  projectId = (await projects.createProject(root, { name: "p" })).id;
  keys = new KeyService({
    store: counted.store,
    projects,
    pepper: randomBytes(32),
    clock,
    keyBytes: 32,
    cacheMaxEntries: 100,
    cacheTtlMs: 10_000,
  });
});

afterEach(async () => {
  await keys.usage.stop();
  await sqlite.close();
});

const lookups = () => calls.get("findKeyByDigest") ?? 0;

describe("KeyService.verifyKey()", () => {
  it("rejects a malformed key or a bad checksum as NOT_FOUND before any storage lookup", async () => {
    const { key } = await keys.createKey(root, { projectId });
    const badChecksum = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
    for (const candidate of ["", "kw_", "hello", badChecksum, `${key}x`, key.toUpperCase()]) {
      expect(await keys.verifyKey(root, { key: candidate })).toEqual({ valid: false, code: "NOT_FOUND" });
    }
    expect(lookups()).toBe(0);
  });

  it("serves repeated verifications from the cache and drops the entry on revoke through this process", async () => {
    const { key, record } = await keys.createKey(root, { projectId });
    expect((await keys.verifyKey(root, { key })).code).toBe("VALID");
    expect((await keys.verifyKey(root, { key })).code).toBe("VALID");
    expect(lookups()).toBe(1);
    await keys.revokeKey(root, record.id, "leaked");
    expect((await keys.verifyKey(root, { key })).code).toBe("REVOKED");
    expect(lookups()).toBe(2);
  });

  it("makes an update through this process visible to the very next verification", async () => {
    const { key, record } = await keys.createKey(root, { projectId, scopes: ["a:read"] });
    expect((await keys.verifyKey(root, { key, scopes: ["a:read"] })).code).toBe("VALID");
    await keys.updateKey(root, record.id, { scopes: ["b:read"] });
    expect((await keys.verifyKey(root, { key, scopes: ["a:read"] })).code).toBe("INSUFFICIENT_SCOPE");
    await keys.updateKey(root, record.id, { enabled: false });
    expect((await keys.verifyKey(root, { key })).code).toBe("DISABLED");
  });

  it("reads the store again once a cached entry outlives its TTL", async () => {
    const { key } = await keys.createKey(root, { projectId });
    await keys.verifyKey(root, { key });
    clock.advance(9_999);
    await keys.verifyKey(root, { key });
    expect(lookups()).toBe(1);
    clock.advance(2);
    await keys.verifyKey(root, { key });
    expect(lookups()).toBe(2);
  });

  it("records lastUsedAt and counts in one batch, never a write per verification", async () => {
    const { key, record } = await keys.createKey(root, { projectId });
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      await keys.verifyKey(root, { key });
    }
    expect(calls.get("recordKeyUsage") ?? 0).toBe(0);
    await keys.usage.flush();
    expect(calls.get("recordKeyUsage")).toBe(1);
    expect((await sqlite.findKey(record.id))?.lastUsedAt).toBe(clock.now());
  });

  it("answers NOT_FOUND, without key details, for a key of a project the caller cannot see", async () => {
    const { key } = await keys.createKey(root, { projectId });
    const limited: Principal = { tokenId: "tok_l", permissions: ["keys:verify"], projectIds: ["proj_other"] };
    expect(await keys.verifyKey(limited, { key })).toEqual({ valid: false, code: "NOT_FOUND" });
  });
});
