import { InvalidArgumentError } from "commander";
import { parseDuration } from "./duration.js";

const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const EXPECTED =
  "Expected a duration such as 30d, 2h, 15m, 45s or 1w, an ISO 8601 date such as 2027-01-31 or " +
  "2027-01-31T12:00:00Z, or never.";

/**
 * Turns an `--expires` value into the API's `expiresAt`: a duration counted from `nowMs`, an ISO 8601 date or
 * date-time (a bare date is midnight UTC), or `never` (null). Throws commander's InvalidArgumentError otherwise.
 */
export function parseExpiry(text: string, nowMs: number): string | null {
  const value = text.trim();
  if (value === "never") return null;
  const durationMs = parseDuration(value);
  const ms = durationMs === null ? parseIsoDate(value) : nowMs + durationMs;
  if (ms === null) throw new InvalidArgumentError(EXPECTED);
  if (ms > LATEST_MS) throw new InvalidArgumentError("The expiry must be before the year 10000.");
  return new Date(ms).toISOString();
}

function parseIsoDate(value: string): number | null {
  // Date.parse alone accepts loose forms ("March 7", "1") whose meaning depends on the engine; require YYYY-MM-DD.
  const head = value.slice(0, 10);
  const shaped =
    head.length === 10 &&
    head[4] === "-" &&
    head[7] === "-" &&
    [0, 1, 2, 3, 5, 6, 8, 9].every((i) => {
      const c = head[i];
      return c !== undefined && c >= "0" && c <= "9";
    });
  if (!shaped || (value.length > 10 && value[10] !== "T")) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
