const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

// Six digits is more than any sensible expiry (999999w is about 19,000 years) and keeps the product exact.
const MAX_DIGITS = 6;

/**
 * Parses a positive duration made of digits and one unit, `s`, `m`, `h`, `d` or `w` (`45s`, `15m`, `2h`, `30d`,
 * `1w`), into milliseconds; null when the text is not such a duration.
 */
export function parseDuration(text: string): number | null {
  const unit = UNIT_MS[text.slice(-1)];
  const digits = text.slice(0, -1);
  if (unit === undefined || digits.length === 0 || digits.length > MAX_DIGITS) return null;
  for (const c of digits) {
    if (c < "0" || c > "9") return null;
  }
  const count = Number(digits);
  return count === 0 ? null : count * unit;
}
