import type { KeyRecord } from "@keyward/core/key-record.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { latestRefillBoundary } from "@keyward/core/refill-schedule.js";
import type {
  LimitCharge,
  LimiterOutageOutcome,
  QuotaAdjustment,
  QuotaBalance,
  QuotaCharge,
  RateLimiter,
} from "../limits/rate-limiter.js";
import type { IdentityRecord } from "../store/identity-store.js";
import type { QuotaBalanceEntry } from "../store/records.js";
import { checkKeyFields, throwIfInvalid } from "./key-input-rules.js";
import { WriteBehindBatcher } from "./write-behind-batcher.js";

/**
 * One named limit a verification charges, optionally with a `limit` and/or `windowMs` for this call only (Unkey's
 * per-call override), checked as a key's limits are. An overridden window is counted apart from the usual one.
 */
export interface NamedLimitRequest {
  name: string;
  cost?: number;
  limit?: number;
  windowMs?: number;
}

/** What a verification asks to spend: `cost` on every limit of the key, or only the named limits. */
export interface LimitRequest {
  cost?: number;
  rateLimits?: readonly NamedLimitRequest[];
  /**
   * When set, every rate limit of the key not named in `rateLimits` is charged this much (instead of `cost`, or
   * of being skipped when `rateLimits` names some): Unkey's auto-applied limits, charged apart from credits.
   */
  unnamedRateLimitCost?: number;
}

/** Where one of a key's rate limits stands after a verification. */
export interface RateLimitState {
  name: string;
  limit: number;
  windowMs: number;
  remaining: number;
  resetAt: number;
  /** False for each limit that refused this request. */
  allowed: boolean;
  /** Set for a limit of the key's identity: its count is shared by every key of that identity. */
  identityId?: string;
}

/** The identity limits that apply to a verification: those of the key's owner, if it has an identity. */
export type LimitIdentity = Pick<IdentityRecord, "id" | "rateLimits">;

/** The outcome of charging a key's limits and quota. */
export interface LimitOutcome {
  /** Set when a limit refused the request. */
  code?: "RATE_LIMITED" | "USAGE_EXCEEDED";
  rateLimits: RateLimitState[];
  quota?: { remaining: number };
  /** True when the limiter could not be reached and the configuration let the request through. */
  degraded?: true;
}

/** Options for {@link KeyLimits}. */
export interface KeyLimitsOptions {
  limiter: RateLimiter;
  /** Writes back quota balances (so losing the limiter's data does not reset balances). */
  writeBalances(entries: QuotaBalanceEntry[]): Promise<void>;
  /** Let requests through when the limiter is down and the key has rate limits but no quota. */
  rateLimitsFailOpen: boolean;
  /** Let requests through (without spending) when the limiter is down and the key has a quota. */
  quotaFailOpen: boolean;
  /** Told whenever the limiter was down during a verification, with the outcome the configuration chose. */
  onLimiterUnavailable?(error: unknown, outcome: LimiterOutageOutcome): void;
  onBalanceWriteError?(error: unknown): void;
}

/**
 * The limiter's name for a key's rate limit. The window is part of it: a limit whose window changes starts fresh
 * instead of misreading counts made with another window.
 */
export function rateLimitKey(keyId: string, name: string, windowMs: number): string {
  return `key:${keyId}:${name}:${windowMs}`;
}

/** The limiter's name for an identity's rate limit: one count per identity and name, whichever key is verified. */
export function identityRateLimitKey(identityId: string, name: string, windowMs: number): string {
  return `identity:${identityId}:${name}:${windowMs}`;
}

/** The limiter's name for a quota balance (a key's, shared along its rotations): the pool id, a key id. */
export function quotaKey(poolId: string): string {
  return poolId;
}

/**
 * Charges a key's rate limits and quota through the {@link RateLimiter} (one atomic step), applies the
 * fail-open/fail-closed configuration when the limiter is down, and writes quota balances back to the store in
 * batches.
 */
export class KeyLimits {
  readonly balances: WriteBehindBatcher<QuotaBalanceEntry>;
  readonly #options: KeyLimitsOptions;

  constructor(options: KeyLimitsOptions) {
    this.#options = options;
    this.balances = new WriteBehindBatcher<QuotaBalanceEntry>({
      write: (entries) => options.writeBalances(entries),
      // The pending entry is newer than a failed one: keep it.
      mergeBack: (failed, pending) => pending ?? failed,
      ...(options.onBalanceWriteError === undefined ? {} : { onError: options.onBalanceWriteError }),
    });
  }

  /** True when verifying `key` (of `identity`, if any) involves the limiter. */
  static applies(key: KeyRecord, identity?: LimitIdentity | null): boolean {
    return key.rateLimits.length > 0 || key.quota !== null || (identity?.rateLimits.length ?? 0) > 0;
  }

  /**
   * Charges the request against the key's limits and quota, and its identity's limits (a key's limit shadows an
   * identity limit of the same name); a refused request spends nothing.
   */
  async charge(
    key: KeyRecord,
    request: LimitRequest,
    timeZone: string,
    nowMs: number,
    identity?: LimitIdentity | null,
  ): Promise<LimitOutcome> {
    const charges = chargesOf(key, request, identity ?? null);
    const quota = key.quota === null ? undefined : quotaChargeOf(key, request.cost ?? 1, timeZone, nowMs);
    let result: Awaited<ReturnType<RateLimiter["charge"]>>;
    try {
      result = await this.#options.limiter.charge({
        limits: charges.map((c) => c.charge),
        ...(quota === undefined ? {} : { quota }),
        nowMs,
      });
    } catch (error) {
      if (!(error instanceof KeywardError) || error.code !== "RATE_LIMITER_UNAVAILABLE") throw error;
      const open = quota === undefined ? this.#options.rateLimitsFailOpen : this.#options.quotaFailOpen;
      this.#options.onLimiterUnavailable?.(error, open ? "fail_open" : "fail_closed");
      if (!open) throw error;
      return { rateLimits: [], degraded: true };
    }
    const rateLimits = result.limits.map((limit, index): RateLimitState => {
      const state: RateLimitState = {
        name: charges[index]?.name ?? "",
        limit: limit.limit,
        windowMs: charges[index]?.charge.windowMs ?? 0,
        remaining: limit.remaining,
        resetAt: limit.resetAt,
        allowed: limit.allowed,
      };
      const identityId = charges[index]?.identityId;
      if (identityId !== undefined) state.identityId = identityId;
      return state;
    });
    const outcome: LimitOutcome = { rateLimits };
    if (result.limits.some((limit) => !limit.allowed)) outcome.code = "RATE_LIMITED";
    if (result.quota !== undefined) {
      const { balance } = result.quota;
      outcome.quota = { remaining: balance.remaining };
      if (outcome.code === undefined && !result.quota.allowed) outcome.code = "USAGE_EXCEEDED";
      this.#noteBalance(key.quota?.poolId ?? key.id, balance);
    }
    return outcome;
  }

  /** Applies an administrator's change to a key's quota balance; returns the new balance. */
  async adjust(
    key: KeyRecord,
    adjustment: QuotaAdjustment,
    timeZone: string,
    nowMs: number,
  ): Promise<QuotaBalance> {
    if (key.quota === null)
      throw new KeywardError("CONFLICT", "This key has no quota; set one with PATCH first.");
    const seed = { remaining: key.quota.remaining, refilledAt: key.quota.refilledAt };
    const refill = refillOf(key, timeZone, nowMs);
    const balance = await this.#options.limiter.adjustQuota(
      quotaKey(key.quota.poolId),
      adjustment,
      seed,
      refill,
    );
    this.#noteBalance(key.quota.poolId, balance);
    return balance;
  }

  /**
   * The live balance of a key's quota, with a refill that is due shown as done; null when the limiter holds none
   * yet or cannot be reached (the stored balance then applies).
   */
  async liveBalance(key: KeyRecord, timeZone: string, nowMs: number): Promise<QuotaBalance | null> {
    if (key.quota === null) return null;
    let balance: QuotaBalance | null;
    try {
      balance = await this.#options.limiter.readQuota(quotaKey(key.quota.poolId));
    } catch (error) {
      if (error instanceof KeywardError && error.code === "RATE_LIMITER_UNAVAILABLE") return null;
      throw error;
    }
    const refill = refillOf(key, timeZone, nowMs);
    if (balance !== null && refill !== undefined && balance.refilledAt < refill.boundary) {
      return { remaining: refill.amount, refilledAt: refill.boundary };
    }
    return balance;
  }

  #noteBalance(poolId: string, balance: QuotaBalance): void {
    this.balances.upsert(poolId, (entry) => {
      if (entry === undefined)
        return { poolId, remaining: balance.remaining, refilledAt: balance.refilledAt };
      entry.remaining = balance.remaining;
      entry.refilledAt = balance.refilledAt;
      return entry;
    });
  }
}

/** One rate limit a verification may charge, and the limiter's name for its count. */
interface ApplicableLimit {
  name: string;
  limit: number;
  windowMs: number;
  limiterKey: string;
  identityId?: string;
}

/**
 * The key's rate limits, then its identity's whose names the key does not use (Unkey: the key's limit wins).
 * Without an identity limit, only the key's, as before.
 */
function applicableLimits(key: KeyRecord, identity: LimitIdentity | null): ApplicableLimit[] {
  const own = key.rateLimits.map((rule) => ({
    name: rule.name,
    limit: rule.limit,
    windowMs: rule.windowMs,
    limiterKey: rateLimitKey(key.id, rule.name, rule.windowMs),
  }));
  if (identity === null || identity.rateLimits.length === 0) return own;
  const shared = identity.rateLimits
    .filter((rule) => !key.rateLimits.some((r) => r.name === rule.name))
    .map((rule) => ({
      name: rule.name,
      limit: rule.limit,
      windowMs: rule.windowMs,
      limiterKey: identityRateLimitKey(identity.id, rule.name, rule.windowMs),
      identityId: identity.id,
    }));
  return [...own, ...shared];
}

function chargeOf(
  rule: ApplicableLimit,
  cost: number,
): { name: string; charge: LimitCharge; identityId?: string } {
  return {
    name: rule.name,
    charge: { key: rule.limiterKey, limit: rule.limit, windowMs: rule.windowMs, cost },
    ...(rule.identityId === undefined ? {} : { identityId: rule.identityId }),
  };
}

function chargesOf(
  key: KeyRecord,
  request: LimitRequest,
  identity: LimitIdentity | null,
): { name: string; charge: LimitCharge; identityId?: string }[] {
  const cost = request.cost ?? 1;
  const unnamedCost = request.unnamedRateLimitCost;
  const rules = applicableLimits(key, identity);
  if (request.rateLimits === undefined) return rules.map((rule) => chargeOf(rule, unnamedCost ?? cost));
  const named = request.rateLimits.map((asked, index) => {
    const rule = rules.find((r) => r.name === asked.name);
    if (rule === undefined)
      throw invalidField(`/rateLimits/${index}/name`, "is not a rate limit of this key or its identity");
    const overridden =
      asked.limit === undefined && asked.windowMs === undefined
        ? rule
        : overriddenLimit(key, rule, asked, index);
    return chargeOf(overridden, asked.cost ?? cost);
  });
  if (unnamedCost === undefined) return named;
  const unnamed = rules
    .filter((rule) => !named.some((n) => n.name === rule.name))
    .map((rule) => chargeOf(rule, unnamedCost));
  return [...named, ...unnamed];
}

/**
 * A named limit with this call's `limit`/`windowMs` in place of its own, checked as a key's rate limits are (a 400
 * naming `/rateLimits/<index>/...`). The limiter's name carries the window, so an overridden window has a count
 * of its own and never reads or skews the usual one; an overridden `limit` alone shares the usual count.
 */
function overriddenLimit(
  key: KeyRecord,
  rule: ApplicableLimit,
  asked: NamedLimitRequest,
  index: number,
): ApplicableLimit {
  const limit = asked.limit ?? rule.limit;
  const windowMs = asked.windowMs ?? rule.windowMs;
  throwIfInvalid(
    checkKeyFields({ rateLimits: [{ name: rule.name, limit, windowMs }] }).map((error) => ({
      ...error,
      pointer: error.pointer.replace("/rateLimits/0/", `/rateLimits/${index}/`),
    })),
  );
  const limiterKey =
    rule.identityId === undefined
      ? rateLimitKey(key.id, rule.name, windowMs)
      : identityRateLimitKey(rule.identityId, rule.name, windowMs);
  return { ...rule, limit, windowMs, limiterKey };
}

function quotaChargeOf(key: KeyRecord, cost: number, timeZone: string, nowMs: number): QuotaCharge {
  const quota = key.quota as NonNullable<KeyRecord["quota"]>;
  const refill = refillOf(key, timeZone, nowMs);
  return {
    key: quotaKey(quota.poolId),
    cost,
    seed: { remaining: quota.remaining, refilledAt: quota.refilledAt },
    ...(refill === undefined ? {} : { refill }),
  };
}

function refillOf(
  key: KeyRecord,
  timeZone: string,
  nowMs: number,
): { amount: number; boundary: number } | undefined {
  const refill = key.quota?.refill;
  if (refill == null) return undefined;
  return { amount: refill.amount, boundary: latestRefillBoundary(nowMs, refill.interval, timeZone) };
}
