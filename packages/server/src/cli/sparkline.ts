const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;

/**
 * One block character per value, scaled to the largest: `▁` only for zero, so a quiet but non-zero bucket still
 * shows, and `█` for the largest. Negative and non-finite values count as zero.
 */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  let line = "";
  for (const value of values) {
    const level = !(value > 0) || max === 0 ? 0 : 1 + Math.min(6, Math.floor((value / max) * 7 - 1e-9));
    line += BLOCKS[level];
  }
  return line;
}
