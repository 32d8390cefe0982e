import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { auditEntry, changeDiff, recordDiff } from "../audit/audit-entry.js";
import { OVERRIDE_AUDIT_FIELDS } from "../audit/audited-fields.js";
import type { LimiterOutageOutcome, RateLimiter } from "../limits/rate-limiter.js";
import type { KeyStore } from "../store/key-store.js";
import type { RateLimitOverride } from "../store/records.js";
import type { Clock } from "./clock.js";
import { limitWindowProblem } from "./key-input-rules.js";
import { listPage, type Page } from "./page.js";
import { type Principal, requirePermission } from "./principal.js";

/** Options for {@link RatelimitService}. */
export interface RatelimitServiceOptions {
  limiter: RateLimiter;
  store: KeyStore;
  clock: Clock;
  /** When the limiter is down, answer success (marked degraded) instead of failing. */
  failOpen: boolean;
  /** How long an override lookup is reused (the net under lost invalidations). */
  overrideCacheTtlMs: number;
  /** Told whenever the limiter was down, with the outcome `failOpen` chose. */
  onLimiterUnavailable?(error: unknown, outcome: LimiterOutageOutcome): void;
  /** Tells the other nodes which overrides (by {@link overrideCacheKey}) this node changed; never rejects. */
  announceChanges?(keys: readonly string[]): Promise<void>;
}

/** A standalone limit check: `cost` of `limit` per `windowMs` for one identifier of a namespace. */
export interface RatelimitRequest {
  namespace: string;
  identifier: string;
  limit: number;
  windowMs: number;
  cost?: number;
}

/** The answer of a standalone limit check. */
export interface RatelimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
  /** Set when an override for the identifier replaced the requested limit. */
  overridden?: true;
  /** Set when the limiter was down and the configuration let the request through uncounted. */
  degraded?: true;
}

/** Limits that are not tied to a key (logins, signups, per-IP), with per-identifier overrides. */
export class RatelimitService {
  readonly #options: RatelimitServiceOptions;
  readonly #overrides = new Map<string, { override: RateLimitOverride | null; readAt: number }>();
  /** Counts drops, so a read that a drop overtook is not cached (see DigestCache.generation). */
  #generation = 0;

  constructor(options: RatelimitServiceOptions) {
    this.#options = options;
  }

  /** Charges `cost` (default 1) for the identifier; an override for it replaces limit and window. */
  async limit(principal: Principal, request: RatelimitRequest): Promise<RatelimitResult> {
    requirePermission(principal, "ratelimit:limit");
    assertCountable(request.limit, request.windowMs);
    const now = this.#options.clock.now();
    const override = await this.#overrideOf(request.namespace, request.identifier, now);
    const limit = override?.limit ?? request.limit;
    const windowMs = override?.windowMs ?? request.windowMs;
    assertCountable(limit, windowMs);
    try {
      const { limits } = await this.#options.limiter.charge({
        // The window is part of the name: a changed window starts fresh instead of misreading old counts.
        limits: [
          {
            // The namespace's length keeps names apart: namespaces may contain ':', and without it namespace
            // "a" with identifier "b:100:c" would share a count with namespace "a:100:b" and identifier "c".
            key: `ns:${request.namespace.length}:${request.namespace}:${windowMs}:${request.identifier}`,
            limit,
            windowMs,
            cost: request.cost ?? 1,
          },
        ],
        nowMs: now,
      });
      const result = limits[0];
      if (result === undefined) throw new Error("The limiter answered no result for one limit.");
      return {
        success: result.allowed,
        limit,
        remaining: result.remaining,
        resetAt: result.resetAt,
        ...(override === null ? {} : { overridden: true as const }),
      };
    } catch (error) {
      if (!(error instanceof KeywardError) || error.code !== "RATE_LIMITER_UNAVAILABLE") throw error;
      this.#options.onLimiterUnavailable?.(error, this.#options.failOpen ? "fail_open" : "fail_closed");
      if (!this.#options.failOpen) throw error;
      return { success: true, limit, remaining: limit, resetAt: now + windowMs, degraded: true };
    }
  }

  /** Creates or replaces the override of one identifier. */
  async setOverride(
    principal: Principal,
    input: { namespace: string; identifier: string; limit: number; windowMs: number },
  ): Promise<RateLimitOverride> {
    requirePermission(principal, "ratelimit:write");
    refuseProjectLimited(principal);
    assertCountable(input.limit, input.windowMs);
    const override: RateLimitOverride = { ...input, createdAt: this.#options.clock.now() };
    const previous = await this.#options.store.findRateLimitOverride(input.namespace, input.identifier);
    await this.#options.store.setRateLimitOverride(override, [
      overrideAudit(
        principal,
        "ratelimit_override.set",
        override,
        previous === null
          ? recordDiff(override, OVERRIDE_AUDIT_FIELDS)
          : changeDiff(previous, override, OVERRIDE_AUDIT_FIELDS),
        override.createdAt,
      ),
    ]);
    await this.#changed(overrideCacheKey(input.namespace, input.identifier));
    return (await this.#options.store.findRateLimitOverride(input.namespace, input.identifier)) ?? override;
  }

  /** The override of one identifier; NOT_FOUND when the namespace has none for it. */
  async getOverride(principal: Principal, namespace: string, identifier: string): Promise<RateLimitOverride> {
    requirePermission(principal, "ratelimit:read");
    const override = await this.#options.store.findRateLimitOverride(namespace, identifier);
    if (override === null)
      throw new KeywardError("NOT_FOUND", "This namespace has no override for that identifier.");
    return override;
  }

  /** The overrides of a namespace, in identifier order. */
  async listOverrides(
    principal: Principal,
    namespace: string,
    query: { limit?: number; cursor?: string },
  ): Promise<Page<RateLimitOverride>> {
    requirePermission(principal, "ratelimit:read");
    const page = await listPage(
      query.limit,
      query.cursor,
      async (p) =>
        (await this.#options.store.listRateLimitOverrides(namespace, p)).map((o) => ({
          ...o,
          id: o.identifier,
        })),
      // Identifiers are up to 256 characters (512 UTF-16 units), far longer than record ids.
      { maxIdLength: 512 },
    );
    return { items: page.items.map(({ id: _id, ...o }) => o), nextCursor: page.nextCursor };
  }

  async deleteOverride(principal: Principal, namespace: string, identifier: string): Promise<void> {
    requirePermission(principal, "ratelimit:write");
    refuseProjectLimited(principal);
    const now = this.#options.clock.now();
    // Read first so the entry says what was deleted; the store writes it only if the delete matched a row.
    const existing = await this.#options.store.findRateLimitOverride(namespace, identifier);
    const deleted = await this.#options.store.deleteRateLimitOverride(namespace, identifier, [
      overrideAudit(
        principal,
        "ratelimit_override.deleted",
        { namespace, identifier },
        existing === null ? {} : recordDiff(existing, OVERRIDE_AUDIT_FIELDS),
        now,
      ),
    ]);
    await this.#changed(overrideCacheKey(namespace, identifier));
    if (!deleted) throw new KeywardError("NOT_FOUND", "This namespace has no override for that identifier.");
  }

  /** Drops overrides (by {@link overrideCacheKey}) changed here or on another node. */
  forgetCached(keys: readonly string[]): void {
    this.#generation += 1;
    for (const key of keys) this.#overrides.delete(key);
  }

  /** Drops every cached override: changes made elsewhere may have been missed. */
  forgetAllCached(): void {
    this.#generation += 1;
    this.#overrides.clear();
  }

  async #changed(key: string): Promise<void> {
    this.forgetCached([key]);
    await this.#options.announceChanges?.([key]);
  }

  async #overrideOf(namespace: string, identifier: string, nowMs: number): Promise<RateLimitOverride | null> {
    const key = overrideCacheKey(namespace, identifier);
    const cached = this.#overrides.get(key);
    if (cached !== undefined && nowMs - cached.readAt < this.#options.overrideCacheTtlMs)
      return cached.override;
    const generation = this.#generation;
    const override = await this.#options.store.findRateLimitOverride(namespace, identifier);
    // Bounded: identifiers are attacker-chosen (per-IP limits); clear rather than grow without end.
    if (this.#overrides.size >= 100_000) this.#overrides.clear();
    // A drop that came in while reading means what was read may be older than the change: do not keep it.
    if (generation === this.#generation) this.#overrides.set(key, { override, readAt: nowMs });
    return override;
  }
}

/** Throws VALIDATION_ERROR at /limit when the sliding window cannot count `limit` per `windowMs` exactly. */
function assertCountable(limit: number, windowMs: number): void {
  const problem = limitWindowProblem(limit, windowMs);
  if (problem !== null) throw invalidField("/limit", problem);
}

/**
 * Overrides are instance-wide (namespaces belong to no project): a token limited to some projects must not change
 * limits that other projects' callers rely on.
 */
function refuseProjectLimited(principal: Principal): void {
  if (principal.projectIds !== null) {
    throw new KeywardError(
      "FORBIDDEN",
      "A token limited to some projects cannot change rate limit overrides, which are instance-wide.",
    );
  }
}

/** How an override is named in the cache and in invalidations: namespace and identifier, NUL-separated. */
export function overrideCacheKey(namespace: string, identifier: string): string {
  return `${namespace}\u0000${identifier}`;
}

/** Overrides are instance-wide (project-limited tokens cannot set them): no project. */
function overrideAudit(
  principal: Principal,
  action: string,
  override: { namespace: string; identifier: string },
  diff: AuditEntryContent["diff"],
  nowMs: number,
): AuditEntryContent {
  return auditEntry(
    principal,
    {
      action,
      target: { type: "ratelimit_override", id: `${override.namespace}/${override.identifier}` },
      projectId: null,
      diff,
    },
    nowMs,
  );
}
