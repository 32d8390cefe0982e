import type { QuotaAdjustment, QuotaBalance, QuotaRefill } from "@keyward/core/quota-balance.js";

export type { QuotaAdjustment, QuotaBalance, QuotaRefill } from "@keyward/core/quota-balance.js";

/**
 * One sliding-window limit to charge: at most `limit` units per `windowMs`, counted per `key` (a limiter-wide
 * name such as `key:<keyId>:<limitName>` or `ns:<namespace>:<identifier>`). All numbers are integers; a key is
 * meant to keep its `windowMs`: charged with another one, its count starts afresh.
 */
export interface LimitCharge {
  key: string;
  limit: number;
  windowMs: number;
  cost: number;
}

/** Where one limit stands after a charge (or a refusal). */
export interface LimitResult {
  /** This limit's own verdict: the request was admitted (and every limit charged) only if every verdict is true. */
  allowed: boolean;
  limit: number;
  /**
   * Units still available in the sliding window after this request, `max(0, floor(limit - estimate))`. When the
   * request was refused nothing was charged, so this is what a smaller request could still spend (0 when a
   * request of cost 1 was refused by this limit).
   */
  remaining: number;
  /** When the current window ends: the counts roll over then (epoch ms). */
  resetAt: number;
}

/** A quota to charge: spends `cost` of `key`'s balance when enough is left. */
export interface QuotaCharge {
  key: string;
  cost: number;
  /** The balance to start from when the limiter holds none (first use, or its data was lost): the stored one. */
  seed: QuotaBalance;
  /** For refilling quotas: the latest refill boundary at or before now, and the balance it resets to. */
  refill?: QuotaRefill;
}

/** Where the quota stands after a charge. */
export interface QuotaResult {
  /**
   * The quota's own verdict: whether enough balance was left for `cost`. It was spent only if the rate limits
   * allowed the request too.
   */
  allowed: boolean;
  /** The balance after this request (refilled when a refill was due, but only persisted when it was charged). */
  balance: QuotaBalance;
}

/**
 * What a caller did when the limiter could not be reached: let the request through (`fail_open`), refuse it
 * (`fail_closed`), or carry on without counting (`not_counted`, the brute-force guard's failure counts).
 */
export type LimiterOutageOutcome = "fail_open" | "fail_closed" | "not_counted";

/** A request to {@link RateLimiter.charge}. */
export interface ChargeRequest {
  /** The limits to charge all or nothing; no key may appear twice. */
  limits: readonly LimitCharge[];
  quota?: QuotaCharge;
  /** The caller's (injected) clock, epoch ms; backends never read their own clock, so nodes and tests agree. */
  nowMs: number;
}

/** What {@link RateLimiter.charge} answers: one result per limit, in order, and the quota's. */
export interface ChargeResult {
  limits: LimitResult[];
  quota?: QuotaResult;
}

/**
 * Counts rate limits and quotas. `charge` is one atomic step (one round trip for a networked backend): every
 * rate limit is checked, and only when all of them allow the request are they all charged; the quota is then
 * charged only if the rate limits allowed the request and enough balance is left. A refused request therefore
 * never spends quota, and a request refused by one limit spends none of the others (a request the quota refuses
 * still counts against the rate limits). Balances never go below zero. Rate limits follow the sliding window
 * counter of `@keyward/core/sliding-window.ts` and quotas `@keyward/core/quota-balance.ts`; limit state expires
 * on its own two windows (plus a margin for clock skew) after its last use, while quota balances are kept until {@link forgetQuota}.
 * Malformed input (a non-integer or negative number, a key charged twice in one request) throws a RangeError;
 * a backend that cannot answer throws RATE_LIMITER_UNAVAILABLE (retryable).
 * Every implementation passes `rate-limiter.conformance.ts`.
 */
export interface RateLimiter {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Applies an adjustment atomically (after any due refill; a decrement stops at zero) and returns the new balance. */
  adjustQuota(
    key: string,
    adjustment: QuotaAdjustment,
    seed: QuotaBalance,
    refill?: QuotaRefill,
  ): Promise<QuotaBalance>;
  /** The current balance without charging (no refill applied), or null when the limiter holds none for `key`. */
  readQuota(key: string): Promise<QuotaBalance | null>;
  /** Drops `key`'s balance (its key was deleted): the next charge starts from its seed again. */
  forgetQuota(key: string): Promise<void>;
  /** Throws RATE_LIMITER_UNAVAILABLE when the backend cannot answer. */
  ping(): Promise<void>;
  /** Releases the backend; every later call throws RATE_LIMITER_UNAVAILABLE. Closing twice is harmless. */
  close(): Promise<void>;
}

/** Throws a RangeError when a limit key appears twice in `request` (each limit is a separate count). */
export function assertDistinctLimitKeys(request: ChargeRequest): void {
  const keys = new Set<string>();
  for (const limit of request.limits) {
    if (keys.has(limit.key))
      throw new RangeError(`Expected each limit key once per charge, got ${limit.key} twice.`);
    keys.add(limit.key);
  }
}
