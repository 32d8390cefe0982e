import { parseDuration } from "./duration.js";

const UNITS_MS: ReadonlyArray<readonly [unit: string, ms: number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/**
 * Parses a rate limit window, digits and a unit: `ms`, `s`, `m`, `h`, `d` or `w` (`500ms`, `1s`, `1m`, `1h`,
 * `1d`), into milliseconds; null when the text is not such a window. The server checks the range (0.1 s to 30 d).
 */
export function parseWindowMs(text: string): number | null {
  if (!text.endsWith("ms")) return parseDuration(text);
  const digits = text.slice(0, -2);
  if (digits.length === 0 || digits.length > 10 || !/^[0-9]+$/.test(digits)) return null;
  const ms = Number(digits);
  return ms === 0 ? null : ms;
}

/** Writes a window the way {@link parseWindowMs} reads it, in the largest unit that divides it (`1d`, `90s`, `250ms`). */
export function formatWindowMs(windowMs: number): string {
  for (const [unit, ms] of UNITS_MS) {
    if (windowMs % ms === 0) return `${windowMs / ms}${unit}`;
  }
  return `${windowMs}ms`;
}
