import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import {
  BUCKETS_EXAMPLE,
  presentBucket,
  rangeInput,
  UsageBucketSchema,
  UsageRangeQuery,
} from "../usage/usage-schemas.js";

const KeyUsageSchema = Type.Object(
  {
    keyId: Type.String(),
    granularity: Type.String(),
    from: Type.String({ format: "date-time", description: "Start of the first bucket." }),
    to: Type.String({ format: "date-time", description: "End of the last bucket (exclusive)." }),
    buckets: Type.Array(UsageBucketSchema, {
      description: "Every bucket of the range, oldest first, zero-filled.",
    }),
  },
  {
    examples: [
      {
        keyId: "key_2Vd8GJ0vbqXo1yH2vQ4i7Z",
        granularity: "hour",
        from: "2026-11-28T09:00:00.000Z",
        to: "2026-11-28T12:00:00.000Z",
        buckets: BUCKETS_EXAMPLE,
      },
    ],
  },
);

/** GET /v1/keys/{id}/usage: a key's verification outcomes per minute, hour or day. */
export function registerKeyUsage(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/keys/:id/usage",
    {
      config: { permission: "usage:read" },
      schema: {
        tags: ["usage"],
        summary: "Get a key's usage",
        description:
          "Needs `usage:read`. Verification outcomes of the key by code, in UTC buckets covering the range " +
          "(default: the last 24 hours, by hour); buckets without verifications are present with a zero total.",
        params: IdParams,
        querystring: Type.Object(UsageRangeQuery, { additionalProperties: false }),
        response: { 200: KeyUsageSchema, ...problems(404) },
      },
    },
    async (request) => {
      const report = await deps.usage.keyUsage(
        principalOf(request),
        request.params.id,
        rangeInput(request.query),
      );
      return {
        keyId: report.keyId,
        granularity: report.granularity,
        from: new Date(report.fromMs).toISOString(),
        to: new Date(report.toMs).toISOString(),
        buckets: report.buckets.map(presentBucket),
      };
    },
  );
}
