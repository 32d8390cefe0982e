import { randomBytes } from "node:crypto";
import { generateKey } from "@keyward/core/key-format.js";
import { parsePermissionQuery } from "@keyward/core/permission-query.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { PepperRing } from "../kms/pepper-ring.js";
import { MemoryRateLimiter } from "../limits/memory-rate-limiter.js";
import type { KeyStore } from "../store/key-store.js";
import { SqliteKeyStore } from "../store/sqlite-key-store.js";
import { KeyLimits } from "./key-limits.js";
import { DEFAULT_GRACE_PERIOD_SECONDS, KeyService, MAX_GRACE_PERIOD_SECONDS } from "./key-service.js";
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

const lookups = () => calls.get("findKeyByDigest") ?? 0;

describe("KeyService.verifyKey()", () => {
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
      limits: new KeyLimits({
        limiter: new MemoryRateLimiter(),
        writeBalances: (entries) => counted.store.recordQuotaBalances(entries),
        rateLimitsFailOpen: true,
        quotaFailOpen: false,
      }),
      peppers: PepperRing.of(randomBytes(32), clock),
      redigest: async () => 0,
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

  it("checks a scope query against the key's scopes, after the scope list", async () => {
    const { key } = await keys.createKey(root, { projectId, scopes: ["docs:*", "users:read"] });
    const query = (text: string) => {
      const parsed = parsePermissionQuery(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.query;
    };
    const pass = await keys.verifyKey(root, {
      key,
      scopeQuery: query("docs:read AND (admin OR users:read)"),
    });
    expect(pass.code).toBe("VALID");
    const fail = await keys.verifyKey(root, { key, scopeQuery: query("docs:read AND (admin OR billing)") });
    expect(fail).toMatchObject({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["admin", "billing"],
    });
  });
});

describe("KeyService.verifyKey() with unnamedRateLimitCost", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it("charges the unnamed limits that cost, apart from the quota's cost", async () => {
    const keys = t.instance.keys;
    const root = await t.instance.tokens.authenticate(t.rootToken);
    if (root === null) throw new Error("the root token must authenticate");
    const { key } = await keys.createKey(root, {
      rateLimits: [
        { name: "a", limit: 10, windowMs: 60_000 },
        { name: "b", limit: 10, windowMs: 60_000 },
      ],
      quota: { remaining: 100 },
    });
    const remaining = (r: Awaited<ReturnType<typeof keys.verifyKey>>) =>
      Object.fromEntries((r.rateLimits ?? []).map((l) => [l.name, l.remaining]));
    const all = await keys.verifyKey(root, { key, cost: 5, unnamedRateLimitCost: 1 });
    expect(remaining(all)).toEqual({ a: 9, b: 9 });
    expect(all.quota).toEqual({ remaining: 95 });
    const named = await keys.verifyKey(root, {
      key,
      cost: 5,
      rateLimits: [{ name: "a", cost: 3 }],
      unnamedRateLimitCost: 1,
    });
    expect(remaining(named)).toEqual({ a: 6, b: 8 });
    // Without it, naming limits charges only those.
    const only = await keys.verifyKey(root, { key, cost: 0, rateLimits: [{ name: "a", cost: 1 }] });
    expect(remaining(only)).toEqual({ a: 5 });
  });

  it("overrides a named limit's limit and windowMs for one call, counting an overridden window apart", async () => {
    const keys = t.instance.keys;
    const root = await t.instance.tokens.authenticate(t.rootToken);
    if (root === null) throw new Error("the root token must authenticate");
    const { key } = await keys.createKey(root, { rateLimits: [{ name: "req", limit: 2, windowMs: 60_000 }] });
    const verify = (asked: { limit?: number; windowMs?: number } = {}) =>
      keys.verifyKey(root, { key, rateLimits: [{ name: "req", ...asked }] });
    await verify();
    await verify();
    expect((await verify()).code).toBe("RATE_LIMITED");
    // A higher limit on the same window reads the same count (2 used).
    const raised = await verify({ limit: 5 });
    expect(raised).toMatchObject({ valid: true, rateLimits: [{ limit: 5, windowMs: 60_000, remaining: 2 }] });
    // Another window is another count: it neither sees nor adds to the usual one.
    const short = await verify({ limit: 1, windowMs: 1_000 });
    expect(short).toMatchObject({ valid: true, rateLimits: [{ limit: 1, windowMs: 1_000, remaining: 0 }] });
    expect((await verify({ limit: 1, windowMs: 1_000 })).code).toBe("RATE_LIMITED");
    expect((await verify()).rateLimits).toMatchObject([{ limit: 2, windowMs: 60_000, remaining: 0 }]);
    // Bounded as a key's limits are.
    const tooShort = await expectKeywardError(verify({ windowMs: 50 }), "VALIDATION_ERROR");
    expect(tooShort.errors?.map((e) => e.pointer)).toEqual(["/rateLimits/0/windowMs"]);
    const tooMany = await expectKeywardError(
      verify({ limit: 2 ** 40, windowMs: 30 * 86_400_000 }),
      "VALIDATION_ERROR",
    );
    expect(tooMany.errors?.map((e) => e.pointer)).toEqual(["/rateLimits/0/limit"]);
  });
});

describe("KeyService.findKeyByPlaintext()", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it("finds a visible key by its plaintext without counting a use of it", async () => {
    const keys = t.instance.keys;
    const root = await t.instance.tokens.authenticate(t.rootToken);
    if (root === null) throw new Error("the root token must authenticate");
    const { key, record } = await keys.createKey(root, { name: "mine", quota: { remaining: 3 } });
    const found = await keys.findKeyByPlaintext(root, key);
    expect(found).toMatchObject({ id: record.id, name: "mine", quota: { remaining: 3 } });
    await keys.usage.flush();
    expect((await keys.getKey(root, record.id)).lastUsedAt).toBeNull();
    expect((await keys.verifyKey(root, { key, cost: 3 })).code).toBe("VALID");
  });

  it("answers NOT_FOUND for a malformed, unknown, hidden or canary key, and needs keys:read", async () => {
    const keys = t.instance.keys;
    const root = await t.instance.tokens.authenticate(t.rootToken);
    if (root === null) throw new Error("the root token must authenticate");
    const { key } = await keys.createKey(root, {});
    const { key: canary } = await keys.createKey(root, { canary: true });
    const hidden: Principal = { tokenId: "tok_h", permissions: ["keys:read"], projectIds: ["proj_other"] };
    // Well formed, with a valid checksum, but never issued.
    const unknown = generateKey({ prefix: "kw" });
    for (const [principal, plaintext] of [
      [root, "hello"],
      [root, unknown],
      [root, canary],
      [hidden, key],
    ] as const) {
      await expectKeywardError(keys.findKeyByPlaintext(principal, plaintext), "NOT_FOUND");
    }
    const verifier: Principal = { tokenId: "tok_v", permissions: ["keys:verify"], projectIds: null };
    await expectKeywardError(keys.findKeyByPlaintext(verifier, key), "FORBIDDEN");
  });
});

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Service tests of issue 3's key lifecycle, on a whole instance (SQLite in memory, manual clock). */
describe("key lifecycle", () => {
  let t: TestApp;
  let T0: number;

  const service = () => t.instance.keys;
  const setTime = (ms: number): void => t.clock.advance(ms - t.clock.now());
  const defaultProjectId = async (): Promise<string> =>
    (await t.instance.projects.resolveProject(root, undefined)).id;
  const setPolicies = async (policies: Record<string, string | null>, id?: string): Promise<void> => {
    await t.instance.projects.updateProject(root, id ?? (await defaultProjectId()), { policies });
  };

  beforeEach(async () => {
    t = await createTestApp();
    T0 = t.clock.now();
  });

  afterEach(async () => {
    await t.close();
  });

  describe("KeyService.rotateKey()", () => {
    it("issues a replacement with the old key's fields; the old key works for the default 24 h grace", async () => {
      const old = await service().createKey(root, {
        name: "deploy",
        ownerId: "user_1",
        scopes: ["repo:read", "repo:write"],
        meta: { team: "infra" },
      });
      setTime(T0 + HOUR_MS);
      const rotation = await service().rotateKey(root, old.record.id, {});
      expect(DEFAULT_GRACE_PERIOD_SECONDS).toBe(86_400);
      expect(rotation.key).not.toBe(old.key);
      expect(rotation.record).toMatchObject({
        projectId: old.record.projectId,
        name: "deploy",
        ownerId: "user_1",
        scopes: ["repo:read", "repo:write"],
        meta: { team: "infra" },
        enabled: true,
        expiresAt: null,
        createdAt: T0 + HOUR_MS,
        replaces: old.record.id,
        replacedBy: null,
        revokedAt: null,
        rotationDue: false,
      });
      expect(rotation.record.id).not.toBe(old.record.id);
      const graceEndsAt = T0 + HOUR_MS + DAY_MS;
      expect(rotation.previous).toMatchObject({
        id: old.record.id,
        replacedBy: rotation.record.id,
        replaces: null,
        expiresAt: graceEndsAt,
        revokedAt: null,
      });
      expect(await service().getKey(root, old.record.id)).toEqual(rotation.previous);

      setTime(graceEndsAt - 1);
      const during = await service().verifyKey(root, { key: old.key });
      expect(during).toMatchObject({ valid: true, code: "VALID" });
      expect(during.rotation).toEqual({ replacedBy: rotation.record.id, expiresAt: graceEndsAt });
      const fresh = await service().verifyKey(root, { key: rotation.key });
      expect(fresh.code).toBe("VALID");
      expect(fresh.rotation).toBeUndefined();

      setTime(graceEndsAt);
      const after = await service().verifyKey(root, { key: old.key });
      expect(after).toMatchObject({ valid: false, code: "EXPIRED" });
      expect(after.rotation).toBeUndefined();
      setTime(graceEndsAt + 1);
      expect((await service().verifyKey(root, { key: old.key })).code).toBe("EXPIRED");
      expect((await service().verifyKey(root, { key: rotation.key })).code).toBe("VALID");
    });

    it("keeps a disabled key's replacement disabled", async () => {
      const old = await service().createKey(root, { enabled: false });
      const rotation = await service().rotateKey(root, old.record.id, {});
      expect(rotation.record.enabled).toBe(false);
      expect((await service().verifyKey(root, { key: rotation.key })).code).toBe("DISABLED");
    });

    it("issues a key with its own prefix, which keepPrefix carries over a rotation and plain rotation drops", async () => {
      const own = await service().createKey(root, { prefix: "sk_live" });
      expect(own.key.startsWith("sk_live_")).toBe(true);
      expect(own.record.start.startsWith("sk_live_")).toBe(true);
      expect((await service().verifyKey(root, { key: own.key })).code).toBe("VALID");
      const kept = await service().rotateKey(root, own.record.id, { keepPrefix: true });
      expect(kept.key.startsWith("sk_live_")).toBe(true);
      expect((await service().verifyKey(root, { key: kept.key })).code).toBe("VALID");
      const plain = await service().rotateKey(root, kept.record.id, {});
      expect(plain.key.startsWith("kw_")).toBe(true);
      for (const prefix of ["", "Sk", "1ab", "a-b", "a".repeat(21)]) {
        const error = await expectKeywardError(service().createKey(root, { prefix }), "VALIDATION_ERROR");
        expect(error.errors?.[0]?.pointer).toBe("/prefix");
      }
    });

    it("findKeyToChange() shows a key to keys:update only, and a key of a hidden project as NOT_FOUND", async () => {
      const { record } = await service().createKey(root, { scopes: ["a:read"] });
      const updater: Principal = { tokenId: "tok_u", permissions: ["keys:update"], projectIds: null };
      expect((await service().findKeyToChange(updater, record.id)).scopes).toEqual(["a:read"]);
      const reader: Principal = { tokenId: "tok_r", permissions: ["keys:read"], projectIds: null };
      await expectKeywardError(service().findKeyToChange(reader, record.id), "FORBIDDEN");
      const elsewhere: Principal = { ...updater, projectIds: ["proj_other"] };
      await expectKeywardError(service().findKeyToChange(elsewhere, record.id), "NOT_FOUND");
    });

    it("ends the old key at once with a grace of 0, and allows at most 30 days", async () => {
      const ended = await service().createKey(root, {});
      const rotation = await service().rotateKey(root, ended.record.id, { gracePeriodSeconds: 0 });
      expect(rotation.previous.expiresAt).toBe(T0);
      expect((await service().verifyKey(root, { key: ended.key })).code).toBe("EXPIRED");

      const longest = await service().createKey(root, {});
      expect(MAX_GRACE_PERIOD_SECONDS).toBe(2_592_000);
      const long = await service().rotateKey(root, longest.record.id, {
        gracePeriodSeconds: MAX_GRACE_PERIOD_SECONDS,
      });
      expect(long.previous.expiresAt).toBe(T0 + 30 * DAY_MS);
    });

    it("refuses a grace over 30 days, negative or fractional with VALIDATION_ERROR on /gracePeriodSeconds", async () => {
      const { record } = await service().createKey(root, {});
      for (const gracePeriodSeconds of [
        MAX_GRACE_PERIOD_SECONDS + 1,
        -1,
        1.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ]) {
        const error = await expectKeywardError(
          service().rotateKey(root, record.id, { gracePeriodSeconds }),
          "VALIDATION_ERROR",
        );
        expect(error.errors?.map((e) => e.pointer)).toEqual(["/gracePeriodSeconds"]);
      }
      expect((await service().getKey(root, record.id)).replacedBy).toBeNull();
    });

    it("never lengthens the old key's life: one expiring before the grace ends keeps its own expiry", async () => {
      const old = await service().createKey(root, { expiresAt: T0 + HOUR_MS });
      const rotation = await service().rotateKey(root, old.record.id, {});
      expect(rotation.previous.expiresAt).toBe(T0 + HOUR_MS);
    });

    it("gives the replacement the old key's lifetime, capped by the project's maxLifetime", async () => {
      const tenDays = await service().createKey(root, { expiresAt: T0 + 10 * DAY_MS });
      const sixtyDays = await service().createKey(root, { expiresAt: T0 + 60 * DAY_MS });
      const forever = await service().createKey(root, {});
      setTime(T0 + 2 * DAY_MS);
      expect((await service().rotateKey(root, tenDays.record.id, {})).record.expiresAt).toBe(
        T0 + 12 * DAY_MS,
      );

      await setPolicies({ maxLifetime: "P30D" });
      const capped = await service().rotateKey(root, sixtyDays.record.id, {});
      expect(capped.record.expiresAt).toBe(T0 + 32 * DAY_MS);
      const bounded = await service().rotateKey(root, forever.record.id, {});
      expect(bounded.record.expiresAt).toBe(T0 + 32 * DAY_MS);
    });

    it("refuses a revoked key (CONFLICT), a rotated one (KEY_ALREADY_ROTATED) and an unknown or hidden one", async () => {
      const revoked = await service().createKey(root, {});
      await service().revokeKey(root, revoked.record.id, null);
      await expectKeywardError(service().rotateKey(root, revoked.record.id, {}), "CONFLICT");

      const rotated = await service().createKey(root, {});
      const first = await service().rotateKey(root, rotated.record.id, {});
      await expectKeywardError(service().rotateKey(root, rotated.record.id, {}), "KEY_ALREADY_ROTATED");
      // The replacement is the one to rotate next.
      const second = await service().rotateKey(root, first.record.id, {});
      expect(second.record.replaces).toBe(first.record.id);

      await expectKeywardError(service().rotateKey(root, "key_missing", {}), "NOT_FOUND");
      const limited: Principal = { tokenId: "tok_l", permissions: ["keys:*"], projectIds: ["proj_other"] };
      await expectKeywardError(service().rotateKey(limited, rotated.record.id, {}), "NOT_FOUND");
      const noRotate: Principal = {
        tokenId: "tok_n",
        permissions: ["keys:create", "keys:read"],
        projectIds: null,
      };
      await expectKeywardError(service().rotateKey(noRotate, second.record.id, {}), "FORBIDDEN");
    });

    it("lets exactly one of several concurrent rotations win; the rest get KEY_ALREADY_ROTATED", async () => {
      const { record } = await service().createKey(root, { ownerId: "racer" });
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => service().rotateKey(root, record.id, {})),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(5);
      for (const loss of lost) expect((loss.reason as { code?: string }).code).toBe("KEY_ALREADY_ROTATED");

      const winner = won[0]?.status === "fulfilled" ? won[0].value : undefined;
      const owned = await service().listKeys(root, { ownerId: "racer" });
      expect(owned.items.map((k) => k.id).sort()).toEqual([record.id, winner?.record.id].sort());
      expect((await service().getKey(root, record.id)).replacedBy).toBe(winner?.record.id);
    });
  });

  describe("KeyService: maxLifetime", () => {
    it("gives a new key createdAt + maxLifetime when it asks for no expiry", async () => {
      expect((await service().createKey(root, {})).record.expiresAt).toBeNull();
      await setPolicies({ maxLifetime: "P90D" });
      expect((await service().createKey(root, {})).record.expiresAt).toBe(T0 + 90 * DAY_MS);
    });

    it("accepts expiresAt up to createdAt + maxLifetime and refuses 1 ms more or none with POLICY_VIOLATION", async () => {
      await setPolicies({ maxLifetime: "P90D" });
      const latest = T0 + 90 * DAY_MS;
      expect((await service().createKey(root, { expiresAt: latest - 1 })).record.expiresAt).toBe(latest - 1);
      expect((await service().createKey(root, { expiresAt: latest })).record.expiresAt).toBe(latest);
      for (const expiresAt of [latest + 1, null]) {
        const error = await expectKeywardError(service().createKey(root, { expiresAt }), "POLICY_VIOLATION");
        expect(error.status).toBe(422);
        expect(error.errors?.[0]?.pointer).toBe("/expiresAt");
      }
    });

    it("checks a changed expiresAt against the key's own createdAt + maxLifetime", async () => {
      const { record } = await service().createKey(root, {});
      await setPolicies({ maxLifetime: "P90D" });
      setTime(T0 + 50 * DAY_MS);
      // A change that leaves the expiry alone is not held to a policy set after the key was made.
      expect((await service().updateKey(root, record.id, { name: "renamed" })).expiresAt).toBeNull();
      const latest = T0 + 90 * DAY_MS;
      expect((await service().updateKey(root, record.id, { expiresAt: latest })).expiresAt).toBe(latest);
      for (const expiresAt of [latest + 1, null]) {
        const error = await expectKeywardError(
          service().updateKey(root, record.id, { expiresAt }),
          "POLICY_VIOLATION",
        );
        expect(error.errors?.[0]?.pointer).toBe("/expiresAt");
      }
      expect((await service().getKey(root, record.id)).expiresAt).toBe(latest);

      await setPolicies({ maxLifetime: null });
      expect((await service().updateKey(root, record.id, { expiresAt: null })).expiresAt).toBeNull();
    });
  });

  describe("KeyService: rotationDue", () => {
    it("marks keys as old as the rotation period in every view and in verification, until rotated", async () => {
      await setPolicies({ rotationPeriod: "P30D" });
      const created = await service().createKey(root, {});
      expect(created.record.rotationDue).toBe(false);
      const due = T0 + 30 * DAY_MS;

      setTime(due - 1);
      expect((await service().getKey(root, created.record.id)).rotationDue).toBe(false);
      expect((await service().verifyKey(root, { key: created.key })).rotationDue).toBe(false);

      setTime(due);
      expect((await service().getKey(root, created.record.id)).rotationDue).toBe(true);
      expect((await service().listKeys(root, {})).items.map((k) => k.rotationDue)).toEqual([true]);
      expect((await service().verifyKey(root, { key: created.key })).rotationDue).toBe(true);
      expect((await service().updateKey(root, created.record.id, { name: "x" })).rotationDue).toBe(true);

      const rotation = await service().rotateKey(root, created.record.id, {});
      expect(rotation.previous.rotationDue).toBe(false);
      expect(rotation.record.rotationDue).toBe(false);
      expect((await service().verifyKey(root, { key: created.key })).rotationDue).toBe(false);
    });

    it("says so even for a key that fails verification for another reason", async () => {
      await setPolicies({ rotationPeriod: "P30D" });
      const { key } = await service().createKey(root, { scopes: ["a"] });
      setTime(T0 + 31 * DAY_MS);
      const result = await service().verifyKey(root, { key, scopes: ["b"] });
      expect(result).toMatchObject({ valid: false, code: "INSUFFICIENT_SCOPE", rotationDue: true });
    });
  });

  describe("KeyService.revokeKeys()", () => {
    it("goes on until a batch comes back empty: a short batch may only mean a concurrent revocation took some", async () => {
      for (let i = 0; i < 600; i++) await service().createKey(root, { ownerId: "many" });
      const store = t.instance.store;
      const revokeBatch = store.revokeKeys.bind(store);
      let calls = 0;
      // The first batch comes back one short, as when another node revoked one of its candidates first.
      store.revokeKeys = (revocation, effectsFor) => {
        calls += 1;
        return revokeBatch(
          calls === 1 ? { ...revocation, limit: revocation.limit - 1 } : revocation,
          effectsFor,
        );
      };
      try {
        expect(await service().revokeKeys(root, { ownerId: "many" })).toEqual({ revoked: 600 });
      } finally {
        store.revokeKeys = revokeBatch;
      }
      expect(
        (await service().listKeys(root, { ownerId: "many", limit: 100 })).items.every(
          (k) => k.revokedAt !== null,
        ),
      ).toBe(true);
    });

    it("revokes an owner's unrevoked keys, counting only those it revoked, and they fail verification at once", async () => {
      const mine = [];
      for (let i = 0; i < 3; i++) mine.push(await service().createKey(root, { ownerId: "u1" }));
      const theirs = await service().createKey(root, { ownerId: "u2" });
      const [first, second, third] = mine;
      if (first === undefined || second === undefined || third === undefined) throw new Error("three keys");
      await service().revokeKey(root, first.record.id, "earlier");
      // Cached before the bulk revocation.
      expect((await service().verifyKey(root, { key: second.key })).code).toBe("VALID");

      setTime(T0 + 1_000);
      expect(await service().revokeKeys(root, { ownerId: "u1", reason: "offboarded" })).toEqual({
        revoked: 2,
      });
      expect((await service().verifyKey(root, { key: second.key })).code).toBe("REVOKED");
      expect(await service().getKey(root, third.record.id)).toMatchObject({
        revokedAt: T0 + 1_000,
        revokedReason: "offboarded",
      });
      expect(await service().getKey(root, first.record.id)).toMatchObject({
        revokedAt: T0,
        revokedReason: "earlier",
      });
      expect((await service().getKey(root, theirs.record.id)).revokedAt).toBeNull();
      expect(await service().revokeKeys(root, { ownerId: "u1" })).toEqual({ revoked: 0 });
    });

    it("revokes a project's keys, or an owner's within a project", async () => {
      const other = await t.instance.projects.createProject(root, { name: "other" });
      await service().createKey(root, { ownerId: "u1" });
      await service().createKey(root, { ownerId: "u2" });
      await service().createKey(root, { projectId: other.id, ownerId: "u1" });
      await service().createKey(root, { projectId: other.id, ownerId: "u2" });
      expect(await service().revokeKeys(root, { projectId: other.id, ownerId: "u1" })).toEqual({
        revoked: 1,
      });
      expect(await service().revokeKeys(root, { projectId: other.id })).toEqual({ revoked: 1 });
      const live = (await service().listKeys(root, {})).items.filter((k) => k.revokedAt === null);
      expect(live.map((k) => k.ownerId).sort()).toEqual(["u1", "u2"]);
    });

    it("stays within the principal's projects", async () => {
      const other = await t.instance.projects.createProject(root, { name: "other" });
      const home = await defaultProjectId();
      await service().createKey(root, { ownerId: "u1" });
      const elsewhere = await service().createKey(root, { projectId: other.id, ownerId: "u1" });
      const limited: Principal = { tokenId: "tok_l", permissions: ["keys:*"], projectIds: [home] };

      expect(await service().revokeKeys(limited, { ownerId: "u1" })).toEqual({ revoked: 1 });
      expect((await service().getKey(root, elsewhere.record.id)).revokedAt).toBeNull();
      await expectKeywardError(service().revokeKeys(limited, { projectId: other.id }), "NOT_FOUND");
      expect((await service().getKey(root, elsewhere.record.id)).revokedAt).toBeNull();
      const none: Principal = { tokenId: "tok_0", permissions: ["keys:*"], projectIds: [] };
      expect(await service().revokeKeys(none, { ownerId: "u1" })).toEqual({ revoked: 0 });
      expect((await service().getKey(root, elsewhere.record.id)).revokedAt).toBeNull();
    });

    it("needs keys:revoke and a projectId or an ownerId", async () => {
      await service().createKey(root, { ownerId: "u1" });
      const reader: Principal = { tokenId: "tok_r", permissions: ["keys:read"], projectIds: null };
      await expectKeywardError(service().revokeKeys(reader, { ownerId: "u1" }), "FORBIDDEN");
      await expectKeywardError(service().revokeKeys(root, {}), "VALIDATION_ERROR");
      await expectKeywardError(service().revokeKeys(root, { reason: "all" }), "VALIDATION_ERROR");
      expect(await service().revokeKeys(root, { ownerId: "u1" })).toEqual({ revoked: 1 });
    });

    it("works through more keys than one batch holds", async () => {
      for (let i = 0; i < 1_001; i++) await service().createKey(root, { ownerId: "bulk" });
      expect(await service().revokeKeys(root, { ownerId: "bulk" })).toEqual({ revoked: 1_001 });
      expect(await service().revokeKeys(root, { ownerId: "bulk" })).toEqual({ revoked: 0 });
    });
  });
});
