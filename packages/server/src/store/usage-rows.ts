import {
  bucketStart,
  USAGE_GRANULARITIES,
  type UsageBucket,
  type UsageBucketEntry,
  type UsageGranularity,
  type UsageGroup,
} from "./usage-records.js";

/** One row of `usage_buckets` to add to. */
export interface UsageBucketRow {
  granularity: UsageGranularity;
  keyId: string;
  bucketStart: number;
  code: string;
  projectId: string;
  count: number;
}

/**
 * The minute, hour and day rows a batch adds to, merged so each row appears once (PostgreSQL's ON CONFLICT may
 * touch a row only once per statement) and sorted by primary key, so concurrent writers lock rows in one order.
 */
export function rollUpUsage(entries: readonly UsageBucketEntry[]): UsageBucketRow[] {
  const rows = new Map<string, UsageBucketRow>();
  for (const entry of entries) {
    if (entry.count <= 0) continue;
    for (const granularity of USAGE_GRANULARITIES) {
      const start = bucketStart(entry.minuteStart, granularity);
      const id = `${granularity}\0${entry.keyId}\0${start}\0${entry.code}\0${entry.projectId}`;
      const row = rows.get(id);
      if (row === undefined) {
        rows.set(id, {
          granularity,
          keyId: entry.keyId,
          bucketStart: start,
          code: entry.code,
          projectId: entry.projectId,
          count: entry.count,
        });
      } else row.count += entry.count;
    }
  }
  return [...rows.values()].sort(compareRows);
}

function compareRows(a: UsageBucketRow, b: UsageBucketRow): number {
  return (
    compareText(a.granularity, b.granularity) ||
    compareText(a.keyId, b.keyId) ||
    a.bucketStart - b.bucketStart ||
    compareText(a.code, b.code) ||
    compareText(a.projectId, b.projectId)
  );
}

/** Code-point order, as PostgreSQL's COLLATE "C" and SQLite's BINARY compare these ASCII ids. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Counts as a driver returns them (numbers from SQLite, strings for PostgreSQL's bigint sums). */
type DriverCount = number | string | bigint;

/** Rows of `(bucket_start, code, count)` ordered by bucket_start, folded into buckets. */
export function foldBuckets(
  rows: readonly { bucket_start: DriverCount; code: string; count: DriverCount }[],
): UsageBucket[] {
  const buckets: UsageBucket[] = [];
  let current: UsageBucket | undefined;
  for (const row of rows) {
    const start = Number(row.bucket_start);
    if (current === undefined || current.start !== start) {
      current = { start, total: 0, codes: {} };
      buckets.push(current);
    }
    const count = Number(row.count);
    current.codes[row.code] = (current.codes[row.code] ?? 0) + count;
    current.total += count;
  }
  return buckets;
}

/**
 * Groups from their totals (already ordered and limited by the database) and their per-code rows: each group
 * keeps its place and gets its codes.
 */
export function foldGroups(
  totals: readonly { id: string; total: DriverCount }[],
  codeRows: readonly { id: string; code: string; count: DriverCount }[],
): UsageGroup[] {
  const groups = new Map<string, UsageGroup>();
  for (const row of totals) groups.set(row.id, { id: row.id, total: Number(row.total), codes: {} });
  for (const row of codeRows) {
    const group = groups.get(row.id);
    if (group !== undefined) group.codes[row.code] = (group.codes[row.code] ?? 0) + Number(row.count);
  }
  return [...groups.values()];
}
