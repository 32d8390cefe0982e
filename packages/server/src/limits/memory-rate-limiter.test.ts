import { describe, expect, it } from "vitest";
import { MemoryRateLimiter } from "./memory-rate-limiter.js";
import { describeRateLimiterConformance } from "./rate-limiter.conformance.js";

describeRateLimiterConformance("memory", async () => new MemoryRateLimiter());

const W = 1_000;
const T0 = 1_800_000_000_000;

/** Charges limit 1 per second on `key`; true when admitted. */
async function hit(limiter: MemoryRateLimiter, key: string, nowMs: number): Promise<boolean> {
  const { limits } = await limiter.charge({ limits: [{ key, limit: 1, windowMs: W, cost: 1 }], nowMs });
  return limits[0]?.allowed ?? false;
}

describe("MemoryRateLimiter", () => {
  it("sweeps limit states two windows old as new keys arrive, so memory follows the live keys", async () => {
    const limiter = new MemoryRateLimiter();
    for (let i = 0; i < 3_000; i++) await hit(limiter, `old-${i}`, T0);
    expect(limiter.stats().limitStates).toBe(3_000);
    for (let i = 0; i < 3_000; i++) expect(await hit(limiter, `new-${i}`, T0 + 2 * W)).toBe(true);
    // Without sweeping this would be 6,000; the old states counted for nothing any more.
    expect(limiter.stats().limitStates).toBeLessThanOrEqual(3_000);
    for (let i = 0; i < 3_000; i++) expect(await hit(limiter, `new-${i}`, T0 + 2 * W)).toBe(false);
    await limiter.close();
  });

  it("does not sweep a state still within its next window", async () => {
    const limiter = new MemoryRateLimiter({ maxLimitStates: 50 });
    for (let i = 0; i < 40; i++) await hit(limiter, `live-${i}`, T0);
    for (let i = 0; i < 10; i++) await hit(limiter, `later-${i}`, T0 + 2 * W - 1);
    expect(limiter.stats().limitStates).toBe(50);
    // One millisecond before it would be free, live-0's full window still counts 1/1000 of a unit.
    expect(await hit(limiter, "live-0", T0 + 2 * W - 1)).toBe(false);
    await limiter.close();
  });

  it("drops the least recently charged state past maxLimitStates, its count starting afresh", async () => {
    const limiter = new MemoryRateLimiter({ maxLimitStates: 100 });
    for (let i = 0; i < 100; i++) await hit(limiter, `k-${i}`, T0);
    // Charging k-0 again (refused) makes it the most recently charged.
    expect(await hit(limiter, "k-0", T0)).toBe(false);
    for (let i = 100; i < 150; i++) await hit(limiter, `k-${i}`, T0);
    expect(limiter.stats().limitStates).toBe(100);
    expect(await hit(limiter, "k-0", T0)).toBe(false);
    expect(await hit(limiter, "k-149", T0)).toBe(false);
    // k-1 was the coldest: dropped, so it is admitted again.
    expect(await hit(limiter, "k-1", T0)).toBe(true);
    await limiter.close();
  });

  it("never drops a quota balance, however many limit states come and go", async () => {
    const limiter = new MemoryRateLimiter({ maxLimitStates: 10 });
    const seed = { remaining: 3, refilledAt: 0 };
    for (let i = 0; i < 100; i++) {
      await limiter.charge({
        limits: [{ key: `l-${i}`, limit: 1, windowMs: W, cost: 1 }],
        quota: { key: `q-${i}`, cost: 1, seed },
        nowMs: T0 + i * W,
      });
    }
    expect(limiter.stats().limitStates).toBeLessThanOrEqual(10);
    expect(limiter.stats().quotaBalances).toBe(100);
    for (let i = 0; i < 100; i++)
      expect(await limiter.readQuota(`q-${i}`)).toEqual({ remaining: 2, refilledAt: 0 });
    await limiter.close();
  });

  it("refuses a maxLimitStates that is not a positive integer", () => {
    expect(() => new MemoryRateLimiter({ maxLimitStates: 0 })).toThrow(RangeError);
    expect(() => new MemoryRateLimiter({ maxLimitStates: 1.5 })).toThrow(RangeError);
  });
});
