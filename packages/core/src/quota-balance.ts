/**
 * The quota step every `RateLimiter` backend follows (the Redis backend's Lua scripts mirror it): start from the
 * stored balance or the seed, apply a due refill, then charge or adjust. A balance never goes below zero nor above
 * `Number.MAX_SAFE_INTEGER`, and all values are integers.
 */

/** A quota balance as a limiter keeps it. */
export interface QuotaBalance {
  remaining: number;
  /** The refill boundary this balance belongs to (epoch ms), or 0 for a quota without refills. */
  refilledAt: number;
}

/** For a refilling quota: the latest refill boundary at or before now (the caller computes it), and the amount. */
export interface QuotaRefill {
  amount: number;
  boundary: number;
}

/** A change to a quota balance made by an administrator. Exactly one field is set. */
export type QuotaAdjustment = { set: number } | { increment: number } | { decrement: number };

/** What a quota charge needs besides the stored balance. */
export interface QuotaChargeStep {
  cost: number;
  /** The balance to start from when none is stored. */
  seed: QuotaBalance;
  refill?: QuotaRefill | undefined;
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Expected ${name} to be a non-negative integer, got ${value}.`);
  }
}

/** Throws a RangeError unless the seed, the refill and `cost` (when given) are non-negative integers. */
export function assertQuotaStep(step: {
  cost?: number;
  seed: QuotaBalance;
  refill?: QuotaRefill | undefined;
}): void {
  if (step.cost !== undefined) assertCount("cost", step.cost);
  assertCount("seed.remaining", step.seed.remaining);
  assertCount("seed.refilledAt", step.seed.refilledAt);
  if (step.refill !== undefined) {
    assertCount("refill.amount", step.refill.amount);
    assertCount("refill.boundary", step.refill.boundary);
  }
}

/** Throws a RangeError unless `adjustment` sets exactly one of its fields to a non-negative integer. */
export function assertQuotaAdjustment(adjustment: QuotaAdjustment): void {
  const fields = Object.keys(adjustment);
  const [field] = fields;
  if (fields.length !== 1 || (field !== "set" && field !== "increment" && field !== "decrement")) {
    throw new RangeError("Expected a quota adjustment with exactly one of set, increment or decrement.");
  }
  assertCount(field, (adjustment as Record<string, number>)[field] as number);
}

/**
 * Resets `balance` to `refill.amount` when it belongs to an earlier boundary than `refill.boundary`; a balance
 * already at (or past) that boundary is kept, so one boundary never refills twice.
 */
export function refillQuotaBalance(balance: QuotaBalance, refill?: QuotaRefill): QuotaBalance {
  if (refill === undefined || balance.refilledAt >= refill.boundary) return balance;
  return { remaining: refill.amount, refilledAt: refill.boundary };
}

/**
 * Charges `step.cost` to the stored balance (or the seed when `stored` is null) after any due refill. When too
 * little is left the charge is refused and the balance is returned unchanged (but refilled).
 */
export function chargeQuotaBalance(
  stored: QuotaBalance | null,
  step: QuotaChargeStep,
): { allowed: boolean; balance: QuotaBalance } {
  assertQuotaStep(step);
  const balance = refillQuotaBalance(stored ?? step.seed, step.refill);
  if (balance.remaining < step.cost) return { allowed: false, balance };
  return {
    allowed: true,
    balance: { remaining: balance.remaining - step.cost, refilledAt: balance.refilledAt },
  };
}

/**
 * Applies an administrator's adjustment to the stored balance (or the seed) after any due refill: `set` replaces
 * the remaining units, `increment` adds (capped at `Number.MAX_SAFE_INTEGER`), `decrement` subtracts and stops at 0.
 */
export function adjustQuotaBalance(
  stored: QuotaBalance | null,
  adjustment: QuotaAdjustment,
  step: { seed: QuotaBalance; refill?: QuotaRefill | undefined },
): QuotaBalance {
  assertQuotaAdjustment(adjustment);
  assertQuotaStep(step);
  const { remaining, refilledAt } = refillQuotaBalance(stored ?? step.seed, step.refill);
  if ("set" in adjustment) return { remaining: adjustment.set, refilledAt };
  if ("increment" in adjustment) {
    return { remaining: Math.min(Number.MAX_SAFE_INTEGER, remaining + adjustment.increment), refilledAt };
  }
  return { remaining: Math.max(0, remaining - adjustment.decrement), refilledAt };
}
