import { KeywardError } from "@keyward/core/keyward-error.js";
import {
  adjustQuotaBalance,
  assertQuotaStep,
  chargeQuotaBalance,
  type QuotaAdjustment,
  type QuotaBalance,
  type QuotaRefill,
  refillQuotaBalance,
} from "@keyward/core/quota-balance.js";
import { decideSlidingWindows, type SlidingWindowState } from "@keyward/core/sliding-window.js";
import {
  assertDistinctLimitKeys,
  type ChargeRequest,
  type ChargeResult,
  type QuotaResult,
  type RateLimiter,
} from "./rate-limiter.js";

/** Options for {@link MemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /**
   * The most limit states kept (default 1,000,000). States older than two windows are swept first; past the cap
   * the least recently charged state is dropped and its count starts afresh. Quota balances are never dropped.
   */
  maxLimitStates?: number;
}

interface StoredWindow {
  windowMs: number;
  state: SlidingWindowState;
}

/** The fewest new keys between two sweeps, so a small map is not swept on every new key. */
const MIN_SWEEP_INSERTS = 1_024;

/**
 * A {@link RateLimiter} for one process: the sliding window states and quota balances live in Maps. `charge`
 * runs without awaiting anything, so concurrent calls cannot interleave and each is atomic.
 *
 * Memory stays bounded: a limit state is dead once its window is two windows behind the latest `nowMs` seen (a
 * charge reads it as zero anyway). Dead states are swept once as many new keys arrived since the last sweep as the
 * map then held (at least 1,024): amortized O(1) per new key, and no timer, so tests drive it through `nowMs`.
 * The map is kept in least-recently-charged order, so the hard cap drops the coldest state first.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, StoredWindow>();
  readonly #quotas = new Map<string, QuotaBalance>();
  readonly #maxLimitStates: number;
  readonly #minSweepInserts: number;
  #sweepAfterInserts: number;
  #insertsSinceSweep = 0;
  #latestNowMs = 0;
  #closed = false;

  constructor(options: MemoryRateLimiterOptions = {}) {
    const max = options.maxLimitStates ?? 1_000_000;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`Expected maxLimitStates to be a positive integer, got ${max}.`);
    }
    this.#maxLimitStates = max;
    this.#minSweepInserts = Math.min(MIN_SWEEP_INSERTS, max);
    this.#sweepAfterInserts = this.#minSweepInserts;
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.#assertOpen();
    assertDistinctLimitKeys(request);
    const { limits, quota, nowMs } = request;
    if (quota !== undefined) assertQuotaStep(quota);
    const { allowed, decisions } = decideSlidingWindows(
      limits.map((limit) => {
        const stored = this.#windows.get(limit.key);
        return {
          state: stored?.windowMs === limit.windowMs ? stored.state : null,
          charge: { limit: limit.limit, windowMs: limit.windowMs, cost: limit.cost, nowMs },
        };
      }),
    );
    this.#latestNowMs = Math.max(this.#latestNowMs, nowMs);
    limits.forEach((limit, index) => {
      const decision = decisions[index];
      // Like the Redis script, a refused request writes nothing (rolling a state over later gives the same).
      const next =
        allowed && decision !== undefined
          ? { windowMs: limit.windowMs, state: decision.state }
          : this.#windows.get(limit.key);
      if (next === undefined) return;
      // Re-inserting moves the key to the end: the Map's order is least recently charged first.
      if (!this.#windows.delete(limit.key)) this.#makeRoom();
      this.#windows.set(limit.key, next);
    });
    const result: ChargeResult = {
      limits: limits.map((limit, index) => {
        const decision = decisions[index] as (typeof decisions)[number];
        return {
          allowed: decision.allowed,
          limit: limit.limit,
          remaining: decision.remaining,
          resetAt: decision.resetAt,
        };
      }),
    };
    if (quota !== undefined) {
      const stored = this.#quotas.get(quota.key) ?? null;
      const verdict = chargeQuotaBalance(stored, quota);
      let quotaResult: QuotaResult;
      if (allowed && verdict.allowed) {
        this.#quotas.set(quota.key, verdict.balance);
        quotaResult = verdict;
      } else {
        quotaResult = {
          allowed: verdict.allowed,
          balance: refillQuotaBalance(stored ?? quota.seed, quota.refill),
        };
      }
      result.quota = { allowed: quotaResult.allowed, balance: { ...quotaResult.balance } };
    }
    return result;
  }

  async adjustQuota(
    key: string,
    adjustment: QuotaAdjustment,
    seed: QuotaBalance,
    refill?: QuotaRefill,
  ): Promise<QuotaBalance> {
    this.#assertOpen();
    const balance = adjustQuotaBalance(this.#quotas.get(key) ?? null, adjustment, { seed, refill });
    this.#quotas.set(key, balance);
    return { ...balance };
  }

  async readQuota(key: string): Promise<QuotaBalance | null> {
    this.#assertOpen();
    const balance = this.#quotas.get(key);
    return balance === undefined ? null : { ...balance };
  }

  async forgetQuota(key: string): Promise<void> {
    this.#assertOpen();
    this.#quotas.delete(key);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#windows.clear();
    this.#quotas.clear();
  }

  /** How many limit states and quota balances are held (for metrics and tests). */
  stats(): { limitStates: number; quotaBalances: number } {
    return { limitStates: this.#windows.size, quotaBalances: this.#quotas.size };
  }

  /** Before a new key: sweeps when due, then drops the least recently charged states while at the cap. */
  #makeRoom(): void {
    this.#insertsSinceSweep += 1;
    if (this.#insertsSinceSweep >= this.#sweepAfterInserts) {
      this.#sweep();
      this.#insertsSinceSweep = 0;
      // A sweep costs O(size), so waiting for as many new keys keeps it amortized O(1) per key.
      this.#sweepAfterInserts = Math.max(this.#minSweepInserts, this.#windows.size);
    }
    while (this.#windows.size >= this.#maxLimitStates) {
      const oldest = this.#windows.keys().next();
      if (oldest.done === true) break;
      this.#windows.delete(oldest.value);
    }
  }

  /** Drops every state whose window is two or more windows behind the latest `nowMs`: it counts for nothing. */
  #sweep(): void {
    for (const [key, { windowMs, state }] of this.#windows) {
      if ((state.windowIndex + 2) * windowMs <= this.#latestNowMs) this.#windows.delete(key);
    }
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new KeywardError("RATE_LIMITER_UNAVAILABLE", "The rate limiter is closed.", { retryable: true });
  }
}
