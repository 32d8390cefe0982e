import { describe, expect, it } from "vitest";
import {
  adjustQuotaBalance,
  chargeQuotaBalance,
  type QuotaAdjustment,
  type QuotaBalance,
  refillQuotaBalance,
} from "./quota-balance.js";

const MONTH_1 = Date.parse("2026-11-01T00:00:00.000Z");
const MONTH_2 = Date.parse("2026-12-01T00:00:00.000Z");
const SEED: QuotaBalance = { remaining: 100, refilledAt: 0 };

describe("refillQuotaBalance()", () => {
  it("resets the balance to the amount at a later boundary", () => {
    expect(
      refillQuotaBalance({ remaining: 3, refilledAt: MONTH_1 }, { amount: 50, boundary: MONTH_2 }),
    ).toEqual({
      remaining: 50,
      refilledAt: MONTH_2,
    });
  });

  it("keeps a balance already refilled for that boundary, or a later one", () => {
    const balance = { remaining: 3, refilledAt: MONTH_2 };
    expect(refillQuotaBalance(balance, { amount: 50, boundary: MONTH_2 })).toBe(balance);
    expect(refillQuotaBalance(balance, { amount: 50, boundary: MONTH_1 })).toBe(balance);
  });

  it("keeps a balance when the quota does not refill", () => {
    expect(refillQuotaBalance(SEED)).toBe(SEED);
  });
});

describe("chargeQuotaBalance()", () => {
  it("spends from the seed when nothing is stored", () => {
    expect(chargeQuotaBalance(null, { cost: 30, seed: SEED })).toEqual({
      allowed: true,
      balance: { remaining: 70, refilledAt: 0 },
    });
  });

  it("spends the last unit, then refuses and leaves the balance unchanged", () => {
    expect(chargeQuotaBalance({ remaining: 1, refilledAt: 0 }, { cost: 1, seed: SEED })).toEqual({
      allowed: true,
      balance: { remaining: 0, refilledAt: 0 },
    });
    expect(chargeQuotaBalance({ remaining: 2, refilledAt: 0 }, { cost: 3, seed: SEED })).toEqual({
      allowed: false,
      balance: { remaining: 2, refilledAt: 0 },
    });
  });

  it("refills before charging, once per boundary", () => {
    const refill = { amount: 10, boundary: MONTH_2 };
    const first = chargeQuotaBalance({ remaining: 0, refilledAt: MONTH_1 }, { cost: 4, seed: SEED, refill });
    expect(first).toEqual({ allowed: true, balance: { remaining: 6, refilledAt: MONTH_2 } });
    const second = chargeQuotaBalance(first.balance, { cost: 4, seed: SEED, refill });
    expect(second.balance).toEqual({ remaining: 2, refilledAt: MONTH_2 });
  });

  it("reports a refused charge with the refilled balance", () => {
    const refill = { amount: 10, boundary: MONTH_2 };
    expect(
      chargeQuotaBalance({ remaining: 0, refilledAt: MONTH_1 }, { cost: 11, seed: SEED, refill }),
    ).toEqual({
      allowed: false,
      balance: { remaining: 10, refilledAt: MONTH_2 },
    });
  });

  it("refuses inputs that are not non-negative integers", () => {
    expect(() => chargeQuotaBalance(null, { cost: -1, seed: SEED })).toThrow(RangeError);
    expect(() => chargeQuotaBalance(null, { cost: 1.5, seed: SEED })).toThrow(RangeError);
    expect(() => chargeQuotaBalance(null, { cost: 1, seed: { remaining: -1, refilledAt: 0 } })).toThrow(
      RangeError,
    );
    expect(() =>
      chargeQuotaBalance(null, { cost: 1, seed: SEED, refill: { amount: Number.NaN, boundary: MONTH_1 } }),
    ).toThrow(RangeError);
  });
});

describe("adjustQuotaBalance()", () => {
  const stored = { remaining: 5, refilledAt: MONTH_1 };

  it("sets, increments and decrements the remaining units, keeping refilledAt", () => {
    expect(adjustQuotaBalance(stored, { set: 42 }, { seed: SEED })).toEqual({
      remaining: 42,
      refilledAt: MONTH_1,
    });
    expect(adjustQuotaBalance(stored, { increment: 3 }, { seed: SEED })).toEqual({
      remaining: 8,
      refilledAt: MONTH_1,
    });
    expect(adjustQuotaBalance(stored, { decrement: 3 }, { seed: SEED })).toEqual({
      remaining: 2,
      refilledAt: MONTH_1,
    });
  });

  it("stops a decrement at zero and caps an increment at Number.MAX_SAFE_INTEGER", () => {
    expect(adjustQuotaBalance(stored, { decrement: 50 }, { seed: SEED }).remaining).toBe(0);
    expect(adjustQuotaBalance(stored, { increment: Number.MAX_SAFE_INTEGER }, { seed: SEED }).remaining).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it("starts from the seed when nothing is stored, and applies a due refill first", () => {
    expect(adjustQuotaBalance(null, { increment: 1 }, { seed: SEED })).toEqual({
      remaining: 101,
      refilledAt: 0,
    });
    expect(
      adjustQuotaBalance(stored, { increment: 1 }, { seed: SEED, refill: { amount: 10, boundary: MONTH_2 } }),
    ).toEqual({ remaining: 11, refilledAt: MONTH_2 });
  });

  it("refuses an adjustment without exactly one non-negative integer field", () => {
    const bad: unknown[] = [{}, { set: 1, increment: 1 }, { set: -1 }, { decrement: 0.5 }, { multiply: 2 }];
    for (const adjustment of bad) {
      expect(() => adjustQuotaBalance(stored, adjustment as QuotaAdjustment, { seed: SEED })).toThrow(
        RangeError,
      );
    }
  });
});
