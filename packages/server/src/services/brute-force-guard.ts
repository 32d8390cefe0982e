import { formatIpAddress, parseIpAddress, toIpv4IfMapped } from "@keyward/core/ip-address.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { LimiterOutageOutcome, LimitResult, RateLimiter } from "../limits/rate-limiter.js";

/** A source (address) or project that went over the failed-verification limit. */
export interface BruteForceSuspect {
  kind: "ip" | "project";
  id: string;
  /** The project of the verifying token, when it has exactly one. */
  projectId: string | null;
  windowMs: number;
}

/** Options for {@link BruteForceGuard}. */
export interface BruteForceGuardOptions {
  limiter: RateLimiter;
  /** Failed verifications allowed per source and window; 0 turns the guard off. */
  limit: number;
  windowMs: number;
  /** A source went over the limit (once per window and process): for the `brute_force` alert and event. */
  onSuspected?(suspect: BruteForceSuspect): void;
  /** Told whenever the limiter was down: the failure went uncounted (`not_counted`), the verification goes on. */
  onLimiterUnavailable?(error: unknown, outcome: LimiterOutageOutcome): void;
}

/** Most throttled sources remembered per process; attackers choose addresses, so this must stay bounded. */
const MAX_THROTTLED = 100_000;

/**
 * Counts failed verifications (NOT_FOUND) per source address and per project, in the shared limiter. A source
 * over the limit is throttled: its verifications get 429 TOO_MANY_FAILED_VERIFICATIONS until the window rolls
 * over. A project over its limit is only reported (throttling it would let one attacker lock out all its
 * clients). Counting never fails a verification: a limiter outage only stops the counting.
 */
export class BruteForceGuard {
  readonly #options: BruteForceGuardOptions;
  /** Throttled sources and until when, as this process learned from its own counts. */
  readonly #throttled = new Map<string, number>();
  readonly #reported = new Map<string, number>();

  constructor(options: BruteForceGuardOptions) {
    this.#options = options;
  }

  /** Throws TOO_MANY_FAILED_VERIFICATIONS (with Retry-After) while `source` is throttled. */
  assertAllowed(source: string | undefined, nowMs: number): void {
    if (source === undefined || this.#throttled.size === 0) return;
    const until = this.#throttled.get(sourceKey(source));
    if (until === undefined) return;
    if (until <= nowMs) {
      this.#throttled.delete(sourceKey(source));
      return;
    }
    throw new KeywardError("TOO_MANY_FAILED_VERIFICATIONS", undefined, { retryAfterMs: until - nowMs });
  }

  /** Counts one failed verification from `source` (and for `projectId`); throttles the source past the limit. */
  async recordFailure(failure: { source?: string; projectId: string | null }, nowMs: number): Promise<void> {
    const { limit, windowMs } = this.#options;
    if (limit === 0) return;
    const subjects: { kind: "ip" | "project"; id: string }[] = [];
    if (failure.source !== undefined) subjects.push({ kind: "ip", id: sourceKey(failure.source) });
    if (failure.projectId !== null) subjects.push({ kind: "project", id: failure.projectId });
    if (subjects.length === 0) return;
    const results: LimitResult[] = [];
    try {
      // Each subject is charged on its own: charging them together (all or nothing) would let a project over
      // its limit stop the counting of addresses.
      for (const subject of subjects) {
        const { limits } = await this.#options.limiter.charge({
          limits: [{ key: `bf:${subject.kind}:${subject.id}:${windowMs}`, limit, windowMs, cost: 1 }],
          nowMs,
        });
        results.push(...limits);
      }
    } catch (error) {
      this.#options.onLimiterUnavailable?.(error, "not_counted");
      return;
    }
    subjects.forEach((subject, index) => {
      const result = results[index];
      // Reaching the limit throttles: waiting for the charge it refuses would let a source make `limit + 1`
      // guesses per window, one more than KEYWARD_BRUTE_FORCE_LIMIT allows.
      if (result === undefined || (result.allowed && result.remaining > 0)) return;
      if (subject.kind === "ip") {
        if (this.#throttled.size >= MAX_THROTTLED) this.#throttled.clear();
        this.#throttled.set(subject.id, result.resetAt);
      }
      const reportKey = `${subject.kind}:${subject.id}`;
      if ((this.#reported.get(reportKey) ?? 0) > nowMs) return;
      if (this.#reported.size >= MAX_THROTTLED) this.#reported.clear();
      this.#reported.set(reportKey, result.resetAt);
      this.#options.onSuspected?.({ ...subject, projectId: failure.projectId, windowMs });
    });
  }
}

/**
 * The name a source address is counted under: one form per address (an IPv4-mapped IPv6 address counts as its
 * IPv4 address), and an IPv6 address by its /64, the block one subscriber usually holds, so that walking through
 * the addresses of one's own block does not multiply the guesses allowed.
 */
export function sourceKey(source: string): string {
  const parsed = parseIpAddress(source);
  if (parsed === null) return source;
  const address = toIpv4IfMapped(parsed);
  if (address.version === 4) return formatIpAddress(address);
  const network = new Uint8Array(16);
  network.set(address.bytes.subarray(0, 8));
  return `${formatIpAddress({ version: 6, bytes: network })}/64`;
}
