import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { redisAvailable, TEST_REDIS_URL } from "../../test/support/services.js";
import { describeRateLimiterConformance } from "./rate-limiter.conformance.js";
import type { RateLimiter } from "./rate-limiter.js";
import { RedisRateLimiter, type RedisRateLimiterOptions } from "./redis-rate-limiter.js";

const REDIS_URL = TEST_REDIS_URL;
const T0 = 1_800_000_000_000;
const W = 1_000;

const redisUp = await redisAvailable();

/** Every prefix a test used, so its keys are deleted afterwards. */
const prefixes: string[] = [];
/** Every limiter a test opened outside the conformance suite, closed after each test. */
const opened: RateLimiter[] = [];

function newPrefix(): string {
  const prefix = `keyward-test:${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

function openLimiter(options: Partial<RedisRateLimiterOptions> = {}): RedisRateLimiter {
  const limiter = new RedisRateLimiter({ url: REDIS_URL, prefix: newPrefix(), ...options });
  opened.push(limiter);
  return limiter;
}

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("Expected a TCP address.");
  return address.port;
}

(redisUp ? describe : describe.skip)("RedisRateLimiter", () => {
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((limiter) => limiter.close()));
    for (const prefix of prefixes.splice(0)) {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
    }
  });

  afterAll(async () => {
    await admin.quit();
  });

  describeRateLimiterConformance(
    "Redis",
    async () => new RedisRateLimiter({ url: REDIS_URL, prefix: newPrefix() }),
  );

  describe("against Redis itself", () => {
    it("stores limits and quotas under the prefix, `keyward:` by default", async () => {
      const limiter = openLimiter();
      const prefix = prefixes.at(-1) as string;
      await limiter.charge({
        limits: [{ key: "key:key_1:burst", limit: 5, windowMs: W, cost: 1 }],
        quota: { key: "quota:pool_1", cost: 1, seed: { remaining: 5, refilledAt: 0 } },
        nowMs: T0,
      });
      expect((await admin.keys(`${prefix}*`)).sort()).toEqual([
        `${prefix}limit:key:key_1:burst`,
        `${prefix}quota:quota:pool_1`,
      ]);

      const name = `test-${randomUUID()}`;
      const plain = new RedisRateLimiter({ url: REDIS_URL });
      opened.push(plain);
      await plain.charge({ limits: [{ key: name, limit: 5, windowMs: W, cost: 1 }], nowMs: T0 });
      await plain.adjustQuota(name, { set: 1 }, { remaining: 0, refilledAt: 0 });
      expect(await admin.del(`keyward:limit:${name}`, `keyward:quota:${name}`)).toBe(2);
    });

    it("expires limit state two windows and 5 s after its last charge and keeps quota balances without a TTL", async () => {
      const limiter = openLimiter();
      const prefix = prefixes.at(-1) as string;
      await limiter.charge({
        limits: [{ key: "minute", limit: 5, windowMs: 60_000, cost: 1 }],
        quota: { key: "charged", cost: 1, seed: { remaining: 5, refilledAt: 0 } },
        nowMs: T0,
      });
      await limiter.adjustQuota("adjusted", { set: 3 }, { remaining: 0, refilledAt: 0 });
      const ttl = await admin.pttl(`${prefix}limit:minute`);
      expect(ttl).toBeGreaterThan(115_000);
      expect(ttl).toBeLessThanOrEqual(125_000);
      expect(await admin.pttl(`${prefix}quota:charged`)).toBe(-1);
      expect(await admin.pttl(`${prefix}quota:adjusted`)).toBe(-1);
    });

    it("survives a flushed script cache (NOSCRIPT), reloading its scripts", async () => {
      const limiter = openLimiter();
      const limits = [{ key: "api", limit: 10, windowMs: W, cost: 1 }];
      expect((await limiter.charge({ limits, nowMs: T0 })).limits[0]?.remaining).toBe(9);
      await admin.script("FLUSH");
      expect((await limiter.charge({ limits, nowMs: T0 })).limits[0]?.remaining).toBe(8);
      await admin.script("FLUSH");
      expect(await limiter.adjustQuota("q", { increment: 2 }, { remaining: 1, refilledAt: 0 })).toEqual({
        remaining: 3,
        refilledAt: 0,
      });
    });

    it("admits exactly the limit and the quota across three processes' connections hammering at once", async () => {
      // Three instances, one prefix: separate connections to the same keys, like three Keyward nodes.
      const prefix = newPrefix();
      const nodes = [1, 2, 3].map(() => new RedisRateLimiter({ url: REDIS_URL, prefix }));
      opened.push(...nodes);
      const seed = (remaining: number) => ({ remaining, refilledAt: 0 });
      const hammer = (request: Parameters<RateLimiter["charge"]>[0]) =>
        Promise.all(nodes.flatMap((node) => Array.from({ length: 100 }, () => node.charge(request))));

      const limited = await hammer({
        limits: [{ key: "hot", limit: 50, windowMs: 60_000, cost: 1 }],
        nowMs: T0,
      });
      expect(limited.filter((r) => r.limits[0]?.allowed).length).toBe(50);

      const spent = await hammer({ limits: [], quota: { key: "hot", cost: 1, seed: seed(40) }, nowMs: T0 });
      expect(spent.filter((r) => r.quota?.allowed).length).toBe(40);
      expect(await nodes[0]?.readQuota("hot")).toEqual(seed(0));

      const both = await hammer({
        limits: [{ key: "both", limit: 60, windowMs: 60_000, cost: 2 }],
        quota: { key: "both", cost: 1, seed: seed(25) },
        nowMs: T0,
      });
      expect(both.filter((r) => r.limits[0]?.allowed && r.quota?.allowed).length).toBe(25);
      expect(both.filter((r) => r.limits[0]?.allowed).length).toBe(30);
      expect(await nodes[1]?.readQuota("both")).toEqual(seed(0));
    });

    it("keeps integers near Number.MAX_SAFE_INTEGER exact (no 1e+15 from Lua's tostring)", async () => {
      const limiter = openLimiter();
      const max = Number.MAX_SAFE_INTEGER;
      const seed = { remaining: 0, refilledAt: T0 };
      expect(await limiter.adjustQuota("big", { set: max - 1 }, seed)).toEqual({
        remaining: max - 1,
        refilledAt: T0,
      });
      expect(await limiter.adjustQuota("big", { increment: 5 }, seed)).toEqual({
        remaining: max,
        refilledAt: T0,
      });
      expect(await limiter.adjustQuota("big", { decrement: 123_456_789 }, seed)).toEqual({
        remaining: max - 123_456_789,
        refilledAt: T0,
      });
      const result = await limiter.charge({
        limits: [{ key: "day", limit: 1_000_000, windowMs: 86_400_000, cost: 999_999 }],
        quota: { key: "big", cost: 1, seed },
        nowMs: T0 + 1,
      });
      const resetAt = (Math.floor(T0 / 86_400_000) + 1) * 86_400_000;
      expect(result.limits[0]).toEqual({ allowed: true, limit: 1_000_000, remaining: 1, resetAt });
      expect(result.quota?.balance).toEqual({ remaining: max - 123_456_790, refilledAt: T0 });
      expect(await limiter.readQuota("big")).toEqual({ remaining: max - 123_456_790, refilledAt: T0 });
    });

    it("reports RATE_LIMITER_UNAVAILABLE quickly, without hanging, when nothing listens on the port", async () => {
      const limiter = new RedisRateLimiter({ url: `redis://127.0.0.1:${await closedPort()}` });
      opened.push(limiter);
      const started = performance.now();
      const error = await expectKeywardError(
        limiter.charge({ limits: [{ key: "api", limit: 1, windowMs: W, cost: 1 }], nowMs: T0 }),
        "RATE_LIMITER_UNAVAILABLE",
      );
      expect(error.retryable).toBe(true);
      expect(error.message).not.toContain("127.0.0.1");
      await expectKeywardError(limiter.ping(), "RATE_LIMITER_UNAVAILABLE");
      await expectKeywardError(limiter.readQuota("q"), "RATE_LIMITER_UNAVAILABLE");
      await expectKeywardError(
        limiter.adjustQuota("q", { set: 1 }, { remaining: 0, refilledAt: 0 }),
        "RATE_LIMITER_UNAVAILABLE",
      );
      // Four commands against the default 500 ms command timeout.
      expect(performance.now() - started).toBeLessThan(2_500);
    });

    it("reports RATE_LIMITER_UNAVAILABLE after commandTimeoutMs when the server accepts but never answers", async () => {
      const sockets: Socket[] = [];
      const silent: Server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = silent.address() as { port: number };
        const limiter = new RedisRateLimiter({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 200 });
        opened.push(limiter);
        const started = performance.now();
        const error = await expectKeywardError(limiter.ping(), "RATE_LIMITER_UNAVAILABLE");
        expect(error.retryable).toBe(true);
        expect(performance.now() - started).toBeLessThan(1_500);
        await limiter.close();
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it("reports a command Redis refuses (a foreign value under its key) as RATE_LIMITER_UNAVAILABLE, not retryable", async () => {
      const limiter = openLimiter();
      const prefix = prefixes.at(-1) as string;
      await admin.set(`${prefix}limit:api`, "not a hash");
      const error = await expectKeywardError(
        limiter.charge({ limits: [{ key: "api", limit: 1, windowMs: W, cost: 1 }], nowMs: T0 }),
        "RATE_LIMITER_UNAVAILABLE",
      );
      expect(error.retryable).toBe(false);
    });

    it("refuses timeouts that are not positive integers", () => {
      expect(() => new RedisRateLimiter({ url: REDIS_URL, commandTimeoutMs: 0 })).toThrow(RangeError);
      expect(() => new RedisRateLimiter({ url: REDIS_URL, connectTimeoutMs: 1.5 })).toThrow(RangeError);
    });
  });
});
