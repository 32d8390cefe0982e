import { type Static, Type } from "typebox";
import type { UsageRangeInput } from "../../../../services/usage-service.js";
import { MAX_USAGE_BUCKETS } from "../../../../services/usage-service.js";
import type { UsageBucket, UsageGroup } from "../../../../store/usage-records.js";

/** The range query parameters both usage routes take. */
export const UsageRangeQuery = {
  from: Type.Optional(
    Type.String({
      format: "date-time",
      description:
        "Start of the range (RFC 3339), rounded down to its bucket; default: 24 hours before `to`.",
    }),
  ),
  to: Type.Optional(
    Type.String({
      format: "date-time",
      description:
        "End of the range (RFC 3339, exclusive), rounded up to a whole bucket; default: the end of the current bucket.",
    }),
  ),
  granularity: Type.Optional(
    Type.Union([Type.Literal("minute"), Type.Literal("hour"), Type.Literal("day")], {
      description: `UTC minutes, hours or days; default hour. At most ${MAX_USAGE_BUCKETS} buckets per range.`,
    }),
  ),
};

const Counts = Type.Record(Type.String(), Type.Integer(), {
  description: "Outcomes by verification code (VALID, RATE_LIMITED, ...); codes not seen are absent.",
});

/** One bucket of a usage series. */
export const UsageBucketSchema = Type.Object({
  start: Type.String({ format: "date-time", description: "The bucket's start (UTC)." }),
  total: Type.Integer(),
  codes: Counts,
});

/** A top key (groupBy=key) or a code (groupBy=code) of a project usage report. */
export const UsageGroupSchema = Type.Object({
  id: Type.String({ description: "The key's id (groupBy=key) or the verification code (groupBy=code)." }),
  total: Type.Integer(),
  codes: Counts,
});

/** The range parameters as the service takes them: instants in epoch ms. */
export function rangeInput(query: {
  from?: string;
  to?: string;
  granularity?: UsageRangeInput["granularity"];
}): UsageRangeInput {
  return {
    ...(query.from === undefined ? {} : { fromMs: Date.parse(query.from) }),
    ...(query.to === undefined ? {} : { toMs: Date.parse(query.to) }),
    ...(query.granularity === undefined ? {} : { granularity: query.granularity }),
  };
}

/** A bucket as the API shows it. */
export function presentBucket(bucket: UsageBucket): Static<typeof UsageBucketSchema> {
  return { start: new Date(bucket.start).toISOString(), total: bucket.total, codes: bucket.codes };
}

/** A group as the API shows it. */
export function presentGroup(group: UsageGroup): Static<typeof UsageGroupSchema> {
  return { id: group.id, total: group.total, codes: group.codes };
}

/** Example buckets for the OpenAPI document. */
export const BUCKETS_EXAMPLE = [
  { start: "2026-11-28T09:00:00.000Z", total: 1_204, codes: { VALID: 1_190, RATE_LIMITED: 14 } },
  { start: "2026-11-28T10:00:00.000Z", total: 0, codes: {} },
  { start: "2026-11-28T11:00:00.000Z", total: 873, codes: { VALID: 870, INSUFFICIENT_SCOPE: 3 } },
];
