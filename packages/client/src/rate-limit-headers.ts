import type { RateLimitStatus } from "./types.js";

/** The two response header fields of the IETF RateLimit draft; both absent when there is nothing to report. */
export interface RateLimitHeaderFields {
  "RateLimit-Policy"?: string;
  RateLimit?: string;
}

/** Options for {@link rateLimitHeaders}. */
export interface RateLimitHeadersOptions {
  /** Now, in ms since the epoch, to count the seconds until each reset from; defaults to `Date.now()`. */
  nowMs?: number;
  /**
   * Each limit's window by name, overriding the answer's own `windowMs` (older servers' answers lack it); the
   * policy's `w` parameter is left out for a limit whose window is known from neither.
   */
  windows?: ReadonlyArray<{ name: string; windowMs: number }>;
}

// RFC 8941 Integers have at most 15 digits.
const MAX_SF_INTEGER = 999_999_999_999_999;

/**
 * Turns a verification answer's `rateLimits` into the `RateLimit-Policy` and `RateLimit` response header values
 * of draft-ietf-httpapi-ratelimit-headers-10 (the syntax -11 keeps): one Structured Fields List item per limit,
 * named by an sf-string, `"name";q=<limit>;w=<window seconds>` and `"name";r=<remaining>;t=<seconds until reset>`.
 * Windows under a second round up to 1 (the draft has no sub-second windows); `t` rounds up and is never negative.
 * A name that cannot be an sf-string (outside printable ASCII) is left out, since one bad item voids the field.
 * Pass the result to your framework's `set(headers)`; it is `{}` when the answer charged no limit.
 */
export function rateLimitHeaders(
  result: { rateLimits?: readonly (Omit<RateLimitStatus, "windowMs"> & { windowMs?: number })[] },
  options: RateLimitHeadersOptions = {},
): RateLimitHeaderFields {
  const nowMs = options.nowMs ?? Date.now();
  const windows = new Map((options.windows ?? []).map((rule) => [rule.name, rule.windowMs]));
  const policies: string[] = [];
  const limits: string[] = [];
  for (const status of result.rateLimits ?? []) {
    const name = sfString(status.name);
    if (name === null) continue;
    const windowMs = windows.get(status.name) ?? status.windowMs;
    const window = windowMs === undefined ? "" : `;w=${sfInteger(Math.max(1, Math.ceil(windowMs / 1_000)))}`;
    policies.push(`${name};q=${sfInteger(status.limit)}${window}`);
    const resetSeconds = Math.ceil(Math.max(0, Date.parse(status.resetAt) - nowMs) / 1_000);
    const reset = Number.isNaN(resetSeconds) ? "" : `;t=${sfInteger(resetSeconds)}`;
    limits.push(`${name};r=${sfInteger(status.remaining)}${reset}`);
  }
  if (policies.length === 0) return {};
  return { "RateLimit-Policy": policies.join(", "), RateLimit: limits.join(", ") };
}

/** An RFC 8941 sf-string, or null when `text` holds a character an sf-string cannot. */
function sfString(text: string): string | null {
  let out = '"';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char.length !== 1 || code < 0x20 || code > 0x7e) return null;
    out += char === '"' || char === "\\" ? `\\${char}` : char;
  }
  return `${out}"`;
}

/** An RFC 8941 sf-integer: a whole, non-negative count clamped to the 15 digits the format allows. */
function sfInteger(value: number): string {
  if (!Number.isFinite(value) || value < 0) return "0";
  return String(Math.min(MAX_SF_INTEGER, Math.floor(value)));
}
