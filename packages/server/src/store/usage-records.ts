/** How long one usage bucket lasts: a UTC minute, hour or day. */
export type UsageGranularity = "minute" | "hour" | "day";

/** Every granularity, finest first. */
export const USAGE_GRANULARITIES: readonly UsageGranularity[] = ["minute", "hour", "day"];

/** The length of a bucket of each granularity, in ms (days are UTC days, so always 24 h). */
export const GRANULARITY_MS: Readonly<Record<UsageGranularity, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** The start of the bucket of `granularity` holding `atMs` (UTC). */
export function bucketStart(atMs: number, granularity: UsageGranularity): number {
  const size = GRANULARITY_MS[granularity];
  return Math.floor(atMs / size) * size;
}

/**
 * Verification outcomes gathered in memory for one key (or, with `keyId` "", for a project when no key was
 * found), one code and one UTC minute; the store adds `count` to the minute, hour and day buckets holding it.
 */
export interface UsageBucketEntry {
  /** The key's id, or "" for outcomes that found no key (NOT_FOUND). */
  keyId: string;
  projectId: string;
  code: string;
  /** The start of the UTC minute, in epoch ms. */
  minuteStart: number;
  count: number;
}

/** Counts of one bucket: per code and their sum. */
export interface UsageCounts {
  total: number;
  codes: Record<string, number>;
}

/** One bucket of a usage series. */
export interface UsageBucket extends UsageCounts {
  /** The bucket's start, epoch ms. */
  start: number;
}

/** A key's buckets of one granularity with `fromMs <= start < toMs`. */
export interface KeyUsageQuery {
  keyId: string;
  granularity: UsageGranularity;
  fromMs: number;
  toMs: number;
}

/** The usage of some projects' keys between two instants. */
export interface ProjectUsageQuery {
  /** Only these projects; null for every project. */
  projectIds: readonly string[] | null;
  granularity: UsageGranularity;
  fromMs: number;
  toMs: number;
  /** Group the totals by key (top keys first) or by code. */
  groupBy: "key" | "code";
  /** At most this many groups. */
  limit: number;
}

/** One group of a project usage report: a key (id "" for outcomes without a key) or a code. */
export interface UsageGroup extends UsageCounts {
  id: string;
}

/** A project usage report: the series of bucket totals and the largest groups, largest first. */
export interface ProjectUsage {
  buckets: UsageBucket[];
  groups: UsageGroup[];
}

/** What retention deletes: minute and hour buckets that started before these instants. */
export interface UsagePruning {
  minutesBeforeMs: number;
  hoursBeforeMs: number;
}
