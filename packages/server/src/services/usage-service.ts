import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import type { KeyStore } from "../store/key-store.js";
import {
  bucketStart,
  GRANULARITY_MS,
  type UsageBucket,
  type UsageCounts,
  type UsageGranularity,
  type UsageGroup,
} from "../store/usage-records.js";
import type { Clock } from "./clock.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";
import type { ProjectService } from "./project-service.js";

/** Most buckets one usage report may hold (1,440 minutes of a day fit; a year of days does not need to). */
export const MAX_USAGE_BUCKETS = 1_500;
/** Most groups (top keys or codes) one project usage report may hold. */
export const MAX_USAGE_GROUPS = 100;
/** Groups in a project usage report when the caller names no limit. */
export const DEFAULT_USAGE_GROUPS = 10;
/** The range of a report that names no `from`: the 24 hours before `to`. */
const DEFAULT_RANGE_MS = 86_400_000;

/** The range and resolution a caller asks for; every field optional. Instants are epoch ms. */
export interface UsageRangeInput {
  fromMs?: number;
  toMs?: number;
  granularity?: UsageGranularity;
}

/** A resolved range: whole buckets covering `[fromMs, toMs)`. */
export interface UsageRange {
  granularity: UsageGranularity;
  fromMs: number;
  toMs: number;
}

/** One key's usage: every bucket of the range, zero-filled. */
export interface KeyUsageReport extends UsageRange {
  keyId: string;
  buckets: UsageBucket[];
}

/** What a project usage report may be narrowed to and grouped by. */
export interface ProjectUsageInput extends UsageRangeInput {
  /** One project; every project the principal can see when absent. */
  projectId?: string;
  groupBy?: "key" | "code";
  limit?: number;
}

/** The usage of the keys of one project or of every visible project: totals, series and top groups. */
export interface ProjectUsageReport extends UsageRange, UsageCounts {
  /** The project named, or null for every project the principal can see. */
  projectId: string | null;
  groupBy: "key" | "code";
  buckets: UsageBucket[];
  /** Top keys (never the key-less NOT_FOUND counts, which are in the totals) or codes, largest first. */
  groups: UsageGroup[];
}

/** Options for {@link UsageService}. */
export interface UsageServiceOptions {
  store: KeyStore;
  projects: ProjectService;
  clock: Clock;
}

/** Reads verification usage: per key, and per project with its top keys. Needs `usage:read`. */
export class UsageService {
  readonly #options: UsageServiceOptions;

  constructor(options: UsageServiceOptions) {
    this.#options = options;
  }

  /** A key's usage in zero-filled buckets; NOT_FOUND for a key the principal cannot see. */
  async keyUsage(principal: Principal, keyId: string, input: UsageRangeInput): Promise<KeyUsageReport> {
    requirePermission(principal, "usage:read");
    const range = resolveUsageRange(input, this.#options.clock.now());
    const key = await this.#options.store.findKey(keyId);
    if (key === null || !canAccessProject(principal, key.projectId)) {
      throw new KeywardError("NOT_FOUND", "No key has this id.");
    }
    const stored = await this.#options.store.keyUsage({ keyId, ...range });
    return { keyId, ...range, buckets: zeroFill(stored, range) };
  }

  /** Totals, series and top keys (or codes) of one project, or of every project the principal can see. */
  async projectUsage(principal: Principal, input: ProjectUsageInput): Promise<ProjectUsageReport> {
    requirePermission(principal, "usage:read");
    const range = resolveUsageRange(input, this.#options.clock.now());
    const limit = input.limit ?? DEFAULT_USAGE_GROUPS;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_USAGE_GROUPS) {
      throw invalidField("/limit", `must be an integer from 1 to ${MAX_USAGE_GROUPS}`);
    }
    const groupBy = input.groupBy ?? "key";
    const projectIds =
      input.projectId === undefined
        ? principal.projectIds
        : [(await this.#options.projects.resolveProject(principal, input.projectId)).id];
    const usage = await this.#options.store.projectUsage({
      projectIds,
      ...range,
      groupBy,
      // One more than asked: the key-less NOT_FOUND group may take a place, and it is not a key.
      limit: groupBy === "key" ? limit + 1 : limit,
    });
    const buckets = zeroFill(usage.buckets, range);
    const groups = groupBy === "key" ? usage.groups.filter((g) => g.id !== "").slice(0, limit) : usage.groups;
    return {
      projectId: input.projectId ?? null,
      ...range,
      groupBy,
      ...sumCounts(buckets),
      buckets,
      groups,
    };
  }
}

/**
 * Whole buckets covering the requested range (default: the 24 hours up to the end of the current bucket, by
 * hour). Throws
 * VALIDATION_ERROR when `from` is not before `to`, or when the range holds more than {@link MAX_USAGE_BUCKETS}.
 */
export function resolveUsageRange(input: UsageRangeInput, nowMs: number): UsageRange {
  const granularity = input.granularity ?? "hour";
  const size = GRANULARITY_MS[granularity];
  // By default up to the end of the current bucket, so what happened just now is in the report.
  const requestedTo = input.toMs ?? bucketStart(nowMs, granularity) + size;
  const requestedFrom = input.fromMs ?? requestedTo - DEFAULT_RANGE_MS;
  if (requestedFrom >= requestedTo) throw invalidField("/from", "must be before to");
  const fromMs = bucketStart(requestedFrom, granularity);
  const toMs = Math.ceil(requestedTo / size) * size;
  const count = (toMs - fromMs) / size;
  if (count > MAX_USAGE_BUCKETS) {
    throw invalidField(
      "/from",
      `must be at most ${MAX_USAGE_BUCKETS} ${granularity} buckets before to (this range holds ${count}); ` +
        "narrow the range or choose a coarser granularity",
    );
  }
  return { granularity, fromMs, toMs };
}

/** Every bucket of the range, in order: the stored ones, and empty ones where nothing was counted. */
function zeroFill(stored: readonly UsageBucket[], range: UsageRange): UsageBucket[] {
  const size = GRANULARITY_MS[range.granularity];
  const byStart = new Map(stored.map((b) => [b.start, b]));
  const buckets: UsageBucket[] = [];
  for (let start = range.fromMs; start < range.toMs; start += size) {
    buckets.push(byStart.get(start) ?? { start, total: 0, codes: {} });
  }
  return buckets;
}

function sumCounts(buckets: readonly UsageBucket[]): UsageCounts {
  const codes: Record<string, number> = {};
  let total = 0;
  for (const bucket of buckets) {
    total += bucket.total;
    for (const [code, count] of Object.entries(bucket.codes)) codes[code] = (codes[code] ?? 0) + count;
  }
  return { total, codes };
}
