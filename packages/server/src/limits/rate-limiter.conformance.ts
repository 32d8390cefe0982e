import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import type { LimitCharge, LimitResult, QuotaCharge, RateLimiter } from "./rate-limiter.js";

/** One second windows; every test passes explicit `nowMs` values, never the real time. */
const W = 1_000;
/** A window boundary for windows of a second or a minute (not for the odd lengths 7 ms and 2 ms). */
const T0 = 1_800_000_000_000;
const MONTH_1 = Date.parse("2026-11-01T00:00:00.000Z");
const MONTH_2 = Date.parse("2026-12-01T00:00:00.000Z");
const MONTH_3 = Date.parse("2027-01-01T00:00:00.000Z");

/** One admitted request, as the brute-force reference sees it. */
interface Admitted {
  atMs: number;
  cost: number;
}

/**
 * The sliding window counter computed from scratch out of the log of admitted requests (no stored state, no
 * roll-over): the counts of the window of `nowMs` and the one before, the estimate scaled by `windowMs`.
 */
function referenceDecision(
  log: readonly Admitted[],
  charge: { limit: number; windowMs: number; cost: number; nowMs: number },
): { allowed: boolean; remaining: number; resetAt: number } {
  const { limit, windowMs, cost, nowMs } = charge;
  const index = Math.floor(nowMs / windowMs);
  let current = 0;
  let previous = 0;
  for (const entry of log) {
    const entryIndex = Math.floor(entry.atMs / windowMs);
    if (entryIndex === index) current += entry.cost;
    if (entryIndex === index - 1) previous += entry.cost;
  }
  const elapsedMs = nowMs - index * windowMs;
  const estimateScaled = previous * (windowMs - elapsedMs) + current * windowMs;
  const allowed = estimateScaled + cost * windowMs <= limit * windowMs;
  const room = limit * windowMs - estimateScaled - (allowed ? cost * windowMs : 0);
  return { allowed, remaining: Math.max(0, Math.floor(room / windowMs)), resetAt: (index + 1) * windowMs };
}

/**
 * The one suite every {@link RateLimiter} implementation must pass, written only against the interface. `open`
 * returns a new limiter holding no state; the suite closes it after each test.
 */
export function describeRateLimiterConformance(name: string, open: () => Promise<RateLimiter>): void {
  describe(`RateLimiter conformance: ${name}`, () => {
    let limiter: RateLimiter;

    beforeEach(async () => {
      limiter = await open();
    });

    afterEach(async () => {
      await limiter.close();
    });

    /** Charges one limit (10 per second unless overridden) and returns its result. */
    async function hit(
      key: string,
      nowMs: number,
      overrides: Partial<LimitCharge> = {},
    ): Promise<LimitResult> {
      const result = await limiter.charge({
        limits: [{ key, limit: 10, windowMs: W, cost: 1, ...overrides }],
        nowMs,
      });
      expect(result.limits).toHaveLength(1);
      return result.limits[0] as LimitResult;
    }

    /** Charges one limit `times` times in a row at `nowMs` and counts the admitted requests. */
    async function admittedOf(
      key: string,
      times: number,
      nowMs: number,
      overrides: Partial<LimitCharge> = {},
    ): Promise<number> {
      let admitted = 0;
      for (let i = 0; i < times; i++) if ((await hit(key, nowMs, overrides)).allowed) admitted++;
      return admitted;
    }

    function quota(key: string, cost: number, overrides: Partial<QuotaCharge> = {}): QuotaCharge {
      return { key, cost, seed: { remaining: 5, refilledAt: 0 }, ...overrides };
    }

    async function spend(charge: QuotaCharge, nowMs = T0): Promise<{ allowed: boolean; remaining: number }> {
      const result = await limiter.charge({ limits: [], quota: charge, nowMs });
      expect(result.limits).toEqual([]);
      expect(result.quota).toBeDefined();
      return { allowed: result.quota?.allowed ?? false, remaining: result.quota?.balance.remaining ?? -1 };
    }

    describe("rate limits", () => {
      it("admit exactly limit requests in a window, counting remaining down, and refuse the next", async () => {
        for (let i = 0; i < 10; i++) {
          expect(await hit("api", T0 + i)).toEqual({
            allowed: true,
            limit: 10,
            remaining: 9 - i,
            resetAt: T0 + W,
          });
        }
        expect(await hit("api", T0 + 999)).toEqual({
          allowed: false,
          limit: 10,
          remaining: 0,
          resetAt: T0 + W,
        });
      });

      it("charge a cost above 1 and refuse a cost that no longer fits without spending it", async () => {
        expect(await hit("api", T0, { cost: 4 })).toMatchObject({ allowed: true, remaining: 6 });
        expect(await hit("api", T0, { cost: 4 })).toMatchObject({ allowed: true, remaining: 2 });
        // A refusal reports what a smaller request could still spend.
        expect(await hit("api", T0, { cost: 4 })).toMatchObject({ allowed: false, remaining: 2 });
        expect(await hit("api", T0, { cost: 2 })).toMatchObject({ allowed: true, remaining: 0 });
      });

      it("always refuse a cost above the limit, even on a fresh key, and charge nothing for it", async () => {
        expect(await hit("api", T0, { cost: 11 })).toMatchObject({ allowed: false, remaining: 10 });
        expect(await hit("api", T0, { cost: 11 })).toMatchObject({ allowed: false, remaining: 10 });
        expect(await hit("api", T0, { cost: 10 })).toMatchObject({ allowed: true, remaining: 0 });
      });

      it("count the previous window while it slides out: a full one keeps the next shut for 10% of it (±1 ms)", async () => {
        expect(await admittedOf("api", 10, T0)).toBe(10);
        // Estimate = 10 * (1 - elapsed / 1000): one more unit fits from elapsed 100 on.
        expect(await hit("api", T0 + W - 1)).toEqual({
          allowed: false,
          limit: 10,
          remaining: 0,
          resetAt: T0 + W,
        });
        expect(await hit("api", T0 + W)).toEqual({
          allowed: false,
          limit: 10,
          remaining: 0,
          resetAt: T0 + 2 * W,
        });
        expect((await hit("api", T0 + W + 99)).allowed).toBe(false);
        expect(await hit("api", T0 + W + 100)).toEqual({
          allowed: true,
          limit: 10,
          remaining: 0,
          resetAt: T0 + 2 * W,
        });
      });

      it("still count half of the previous window's count half a window later (±1 ms)", async () => {
        for (const key of ["at-499", "at-500", "at-501"]) expect(await admittedOf(key, 10, T0)).toBe(10);
        // Estimates 5.01, 5 and 4.99: the first leaves room for 4, the others for 5.
        expect(await admittedOf("at-499", 10, T0 + W + 499)).toBe(4);
        expect(await admittedOf("at-500", 10, T0 + W + 500)).toBe(5);
        expect(await admittedOf("at-501", 10, T0 + W + 501)).toBe(5);
        expect(await hit("at-501", T0 + W + 501, { cost: 0 })).toMatchObject({ allowed: true, remaining: 0 });
      });

      it("free everything two windows later, but not one millisecond earlier", async () => {
        expect(await admittedOf("early", 10, T0)).toBe(10);
        expect(await admittedOf("on-time", 10, T0)).toBe(10);
        expect(await admittedOf("early", 10, T0 + 2 * W - 1)).toBe(9);
        expect(await admittedOf("on-time", 11, T0 + 2 * W)).toBe(10);
        expect(await admittedOf("late", 10, T0)).toBe(10);
        expect(await hit("late", T0 + 50 * W)).toMatchObject({
          allowed: true,
          remaining: 9,
          resetAt: T0 + 51 * W,
        });
      });

      it("do not burst 2x at a window edge: a full last millisecond keeps the first one of the next window shut", async () => {
        expect(await admittedOf("edge", 10, T0 + W - 1)).toBe(10);
        expect(await admittedOf("edge", 10, T0 + W)).toBe(0);
        expect(await admittedOf("edge", 10, T0 + W + 1)).toBe(0);
      });

      it("decide like a brute-force sliding window over the admitted log, never over limit per window nor bursting at an edge", async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 12 }),
            fc.constantFrom(2, 7, 100, 1_000, 60_000),
            fc.array(fc.tuple(fc.integer({ min: 0, max: 4_000 }), fc.integer({ min: 1, max: 4 })), {
              maxLength: 60,
            }),
            async (limit, windowMs, requests) => {
              const key = `property-${run++}`;
              const times = requests
                .map(([offset, cost]) => ({ atMs: T0 + Math.floor((offset * windowMs) / 1_000), cost }))
                .sort((a, b) => a.atMs - b.atMs);
              const log: Admitted[] = [];
              for (const { atMs, cost } of times) {
                const expected = referenceDecision(log, { limit, windowMs, cost, nowMs: atMs });
                const actual = await hit(key, atMs, { limit, windowMs, cost });
                expect(actual).toEqual({ ...expected, limit });
                if (actual.allowed) log.push({ atMs, cost });
              }
              // In any span of L <= windowMs ms: at most limit * (1 + max(0, L - 2) / windowMs), and at most
              // limit within one fixed window. A fixed window counter would admit 2 * limit across an edge.
              for (let i = 0; i < log.length; i++) {
                const first = log[i] as Admitted;
                let sum = 0;
                for (let j = i; j < log.length; j++) {
                  const entry = log[j] as Admitted;
                  const spanMs = entry.atMs - first.atMs + 1;
                  if (spanMs > windowMs) break;
                  sum += entry.cost;
                  expect(sum * windowMs).toBeLessThanOrEqual(limit * (windowMs + Math.max(0, spanMs - 2)));
                }
              }
              const perWindow = new Map<number, number>();
              for (const { atMs, cost } of log) {
                const index = Math.floor(atMs / windowMs);
                perWindow.set(index, (perWindow.get(index) ?? 0) + cost);
              }
              for (const sum of perWindow.values()) expect(sum).toBeLessThanOrEqual(limit);
            },
          ),
          { numRuns: 40 },
        );
      });

      it("are charged all or nothing: a request one limit refuses spends none of the others", async () => {
        const limits = [
          { key: "per-second", limit: 5, windowMs: W, cost: 1 },
          { key: "burst", limit: 2, windowMs: W, cost: 1 },
        ];
        for (let i = 0; i < 2; i++) {
          const { limits: results } = await limiter.charge({ limits, nowMs: T0 });
          expect(results.map((r) => r.allowed)).toEqual([true, true]);
        }
        const refused = await limiter.charge({ limits, nowMs: T0 });
        expect(refused.limits).toEqual([
          { allowed: true, limit: 5, remaining: 3, resetAt: T0 + W },
          { allowed: false, limit: 2, remaining: 0, resetAt: T0 + W },
        ]);
        // "per-second" still has the 3 units the refused request did not take.
        expect(await admittedOf("per-second", 4, T0, { limit: 5 })).toBe(3);
      });

      it("answer one result per limit, in order, and admit a request with no limits", async () => {
        const limits = [
          { key: "c", limit: 3, windowMs: 60_000, cost: 1 },
          { key: "a", limit: 1, windowMs: W, cost: 1 },
          { key: "b", limit: 2, windowMs: 7, cost: 2 },
        ];
        const { limits: results } = await limiter.charge({ limits, nowMs: T0 + 3 });
        expect(results).toEqual([
          { allowed: true, limit: 3, remaining: 2, resetAt: T0 + 60_000 },
          { allowed: true, limit: 1, remaining: 0, resetAt: T0 + W },
          { allowed: true, limit: 2, remaining: 0, resetAt: (Math.floor((T0 + 3) / 7) + 1) * 7 },
        ]);
        expect(await limiter.charge({ limits: [], nowMs: T0 })).toEqual({ limits: [] });
      });

      it("keep independent keys apart", async () => {
        expect(await admittedOf("a", 11, T0)).toBe(10);
        expect(await admittedOf("b", 11, T0)).toBe(10);
        expect(await hit("a:b", T0)).toMatchObject({ allowed: true, remaining: 9 });
      });

      it("start a key afresh when it is charged with another window length", async () => {
        expect(await admittedOf("api", 10, T0)).toBe(10);
        expect(await hit("api", T0, { windowMs: 60_000 })).toMatchObject({ allowed: true, remaining: 9 });
      });

      it("read a state from a later window (a clock behind another node's) as at the start of that window", async () => {
        expect(await admittedOf("skew", 10, T0 + W)).toBe(10);
        expect(await hit("skew", T0 + 500)).toEqual({
          allowed: false,
          limit: 10,
          remaining: 0,
          resetAt: T0 + 2 * W,
        });
        expect(await hit("skew", T0 + 3 * W)).toMatchObject({ allowed: true, remaining: 9 });
      });

      it("admit exactly the limit out of 200 concurrent charges", async () => {
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            limiter.charge({
              limits: [{ key: "hot", limit: 50, windowMs: 60_000, cost: 1 }],
              nowMs: T0 + (i % 7),
            }),
          ),
        );
        expect(results.filter((r) => r.limits[0]?.allowed).length).toBe(50);
      });
    });

    describe("quotas", () => {
      it("start from the seed, spend, and refuse a cost larger than the balance without changing it", async () => {
        expect(await limiter.readQuota("q")).toBeNull();
        expect(await spend(quota("q", 2))).toEqual({ allowed: true, remaining: 3 });
        expect(await spend(quota("q", 2))).toEqual({ allowed: true, remaining: 1 });
        expect(await spend(quota("q", 2))).toEqual({ allowed: false, remaining: 1 });
        expect(await spend(quota("q", 1))).toEqual({ allowed: true, remaining: 0 });
        expect(await spend(quota("q", 1))).toEqual({ allowed: false, remaining: 0 });
        expect(await limiter.readQuota("q")).toEqual({ remaining: 0, refilledAt: 0 });
      });

      it("use the seed only while the limiter holds no balance", async () => {
        expect(await spend(quota("q", 1, { seed: { remaining: 10, refilledAt: MONTH_1 } }))).toEqual({
          allowed: true,
          remaining: 9,
        });
        expect(await spend(quota("q", 1, { seed: { remaining: 100, refilledAt: MONTH_1 } }))).toEqual({
          allowed: true,
          remaining: 8,
        });
        expect(await limiter.readQuota("q")).toEqual({ remaining: 8, refilledAt: MONTH_1 });
      });

      it("are not charged when a rate limit refused the request", async () => {
        const limits = [{ key: "one", limit: 1, windowMs: W, cost: 1 }];
        const first = await limiter.charge({ limits, quota: quota("q", 1), nowMs: T0 });
        expect(first.quota).toEqual({ allowed: true, balance: { remaining: 4, refilledAt: 0 } });
        const refused = await limiter.charge({ limits, quota: quota("q", 1), nowMs: T0 });
        expect(refused.limits[0]?.allowed).toBe(false);
        expect(refused.quota).toEqual({ allowed: true, balance: { remaining: 4, refilledAt: 0 } });
        expect(await limiter.readQuota("q")).toEqual({ remaining: 4, refilledAt: 0 });
      });

      it("leave an unknown key's balance unstored when nothing was charged", async () => {
        const refused = await limiter.charge({
          limits: [{ key: "none", limit: 0, windowMs: W, cost: 1 }],
          quota: quota("q", 1),
          nowMs: T0,
        });
        expect(refused.quota).toEqual({ allowed: true, balance: { remaining: 5, refilledAt: 0 } });
        expect(await limiter.readQuota("q")).toBeNull();
      });

      it("still count against the rate limits when the quota refuses the request", async () => {
        const limits = [{ key: "two", limit: 2, windowMs: W, cost: 1 }];
        const empty = quota("q", 1, { seed: { remaining: 0, refilledAt: 0 } });
        const first = await limiter.charge({ limits, quota: empty, nowMs: T0 });
        expect(first.limits[0]).toMatchObject({ allowed: true, remaining: 1 });
        expect(first.quota).toEqual({ allowed: false, balance: { remaining: 0, refilledAt: 0 } });
        expect(await admittedOf("two", 2, T0, { limit: 2 })).toBe(1);
      });

      it("refill to the amount at a new boundary, once per boundary", async () => {
        const seed = { remaining: 0, refilledAt: MONTH_1 };
        const atMonth2 = quota("q", 1, { seed, refill: { amount: 5, boundary: MONTH_2 } });
        expect(await spend(atMonth2)).toEqual({ allowed: true, remaining: 4 });
        expect(await spend(atMonth2)).toEqual({ allowed: true, remaining: 3 });
        expect(await limiter.readQuota("q")).toEqual({ remaining: 3, refilledAt: MONTH_2 });
        // A node whose clock still computes the previous boundary does not refill either.
        expect(await spend({ ...atMonth2, refill: { amount: 5, boundary: MONTH_1 } })).toEqual({
          allowed: true,
          remaining: 2,
        });
        const atMonth3 = { ...atMonth2, cost: 5, refill: { amount: 5, boundary: MONTH_3 } };
        expect(await spend(atMonth3)).toEqual({ allowed: true, remaining: 0 });
        expect(await spend(atMonth3)).toEqual({ allowed: false, remaining: 0 });
        expect(await limiter.readQuota("q")).toEqual({ remaining: 0, refilledAt: MONTH_3 });
      });

      it("report a refused charge against a due refill with the refilled balance", async () => {
        const charge = quota("q", 9, { refill: { amount: 8, boundary: MONTH_2 } });
        expect(await spend(charge)).toEqual({ allowed: false, remaining: 8 });
      });

      it("are adjusted atomically: set, increment, decrement stopping at zero, and read back", async () => {
        const seed = { remaining: 100, refilledAt: 0 };
        expect(await limiter.adjustQuota("q", { increment: 5 }, seed)).toEqual({
          remaining: 105,
          refilledAt: 0,
        });
        expect(await limiter.adjustQuota("q", { set: 7 }, seed)).toEqual({ remaining: 7, refilledAt: 0 });
        expect(await limiter.adjustQuota("q", { increment: 3 }, seed)).toEqual({
          remaining: 10,
          refilledAt: 0,
        });
        expect(await limiter.adjustQuota("q", { decrement: 4 }, seed)).toEqual({
          remaining: 6,
          refilledAt: 0,
        });
        expect(await limiter.adjustQuota("q", { decrement: 100 }, seed)).toEqual({
          remaining: 0,
          refilledAt: 0,
        });
        expect(await limiter.readQuota("q")).toEqual({ remaining: 0, refilledAt: 0 });
        expect(await limiter.adjustQuota("fresh", { set: 3 }, seed)).toEqual({ remaining: 3, refilledAt: 0 });
        expect(await spend(quota("fresh", 3))).toEqual({ allowed: true, remaining: 0 });
      });

      it("apply a due refill before an adjustment", async () => {
        const seed = { remaining: 1, refilledAt: MONTH_1 };
        const refill = { amount: 50, boundary: MONTH_2 };
        expect(await limiter.adjustQuota("q", { decrement: 10 }, seed, refill)).toEqual({
          remaining: 40,
          refilledAt: MONTH_2,
        });
        expect(await limiter.adjustQuota("q", { decrement: 10 }, seed, refill)).toEqual({
          remaining: 30,
          refilledAt: MONTH_2,
        });
      });

      it("are forgotten on request, so the next charge starts from the seed", async () => {
        expect(await spend(quota("q", 5))).toEqual({ allowed: true, remaining: 0 });
        await limiter.forgetQuota("q");
        await limiter.forgetQuota("never-seen");
        expect(await limiter.readQuota("q")).toBeNull();
        expect(await spend(quota("q", 1))).toEqual({ allowed: true, remaining: 4 });
      });

      it("keep independent keys apart, also from rate limits of the same name", async () => {
        expect(await spend(quota("a", 5))).toEqual({ allowed: true, remaining: 0 });
        expect(await spend(quota("b", 1))).toEqual({ allowed: true, remaining: 4 });
        expect(await hit("a", T0)).toMatchObject({ allowed: true, remaining: 9 });
        expect(await limiter.readQuota("a")).toEqual({ remaining: 0, refilledAt: 0 });
      });

      it("spend exactly the balance out of 200 concurrent charges, and never go below zero", async () => {
        const results = await Promise.all(
          Array.from({ length: 200 }, () =>
            limiter.charge({
              limits: [],
              quota: quota("hot", 1, { seed: { remaining: 50, refilledAt: 0 } }),
              nowMs: T0,
            }),
          ),
        );
        expect(results.filter((r) => r.quota?.allowed).length).toBe(50);
        expect(Math.min(...results.map((r) => r.quota?.balance.remaining ?? -1))).toBe(0);
        expect(await limiter.readQuota("hot")).toEqual({ remaining: 0, refilledAt: 0 });
      });

      it("admit exactly the quota out of 200 concurrent charges under a looser rate limit", async () => {
        const results = await Promise.all(
          Array.from({ length: 200 }, () =>
            limiter.charge({
              limits: [{ key: "hot", limit: 50, windowMs: 60_000, cost: 1 }],
              quota: quota("hot", 1, { seed: { remaining: 30, refilledAt: 0 } }),
              nowMs: T0,
            }),
          ),
        );
        const admitted = results.filter((r) => r.limits[0]?.allowed && r.quota?.allowed);
        expect(admitted.length).toBe(30);
        expect(results.filter((r) => r.limits[0]?.allowed).length).toBe(50);
        expect(await limiter.readQuota("hot")).toEqual({ remaining: 0, refilledAt: 0 });
      });
    });

    describe("errors", () => {
      it("throw a RangeError for malformed input and charge nothing for it", async () => {
        const good = { key: "good", limit: 10, windowMs: W, cost: 1 };
        const bad: Array<{ limits: LimitCharge[]; quota?: QuotaCharge; nowMs: number }> = [
          { limits: [good, { ...good, key: "w", windowMs: 0 }], nowMs: T0 },
          { limits: [good, { ...good, key: "c", cost: -1 }], nowMs: T0 },
          { limits: [good, { ...good, key: "l", limit: 2.5 }], nowMs: T0 },
          { limits: [good], nowMs: T0 + 0.5 },
          { limits: [good, good], nowMs: T0 },
          { limits: [good], quota: quota("q", -1), nowMs: T0 },
          {
            limits: [good],
            quota: quota("q", 1, { seed: { remaining: Number.NaN, refilledAt: 0 } }),
            nowMs: T0,
          },
        ];
        for (const request of bad) {
          await expect(limiter.charge(request), JSON.stringify(request)).rejects.toThrow(RangeError);
        }
        expect(await hit("good", T0)).toMatchObject({ allowed: true, remaining: 9 });
        expect(await limiter.readQuota("q")).toBeNull();
        await expect(
          limiter.adjustQuota("q", { decrement: -1 }, { remaining: 1, refilledAt: 0 }),
        ).rejects.toThrow(RangeError);
        await expect(
          limiter.adjustQuota("q", { set: 1, increment: 1 } as unknown as { set: number }, {
            remaining: 1,
            refilledAt: 0,
          }),
        ).rejects.toThrow(RangeError);
        expect(await limiter.readQuota("q")).toBeNull();
      });

      it("answer ping() while open and RATE_LIMITER_UNAVAILABLE (retryable) once closed; closing twice is harmless", async () => {
        await limiter.ping();
        await limiter.close();
        await limiter.close();
        const error = await expectKeywardError(
          limiter.charge({ limits: [], nowMs: T0 }),
          "RATE_LIMITER_UNAVAILABLE",
        );
        expect(error.retryable).toBe(true);
        await expectKeywardError(limiter.ping(), "RATE_LIMITER_UNAVAILABLE");
        await expectKeywardError(limiter.readQuota("q"), "RATE_LIMITER_UNAVAILABLE");
        await expectKeywardError(
          limiter.adjustQuota("q", { set: 1 }, { remaining: 0, refilledAt: 0 }),
          "RATE_LIMITER_UNAVAILABLE",
        );
        await expectKeywardError(limiter.forgetQuota("q"), "RATE_LIMITER_UNAVAILABLE");
      });
    });
  });
}
