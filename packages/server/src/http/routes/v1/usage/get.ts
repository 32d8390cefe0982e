import { Type } from "typebox";
import { DEFAULT_USAGE_GROUPS, MAX_USAGE_GROUPS } from "../../../../services/usage-service.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";
import {
  BUCKETS_EXAMPLE,
  presentBucket,
  presentGroup,
  rangeInput,
  UsageBucketSchema,
  UsageGroupSchema,
  UsageRangeQuery,
} from "./usage-schemas.js";

const ProjectUsageSchema = Type.Object(
  {
    projectId: Type.Union([Type.String(), Type.Null()], {
      description: "The project asked for, or null for every project the token can see.",
    }),
    granularity: Type.String(),
    from: Type.String({ format: "date-time", description: "Start of the first bucket." }),
    to: Type.String({ format: "date-time", description: "End of the last bucket (exclusive)." }),
    groupBy: Type.String(),
    total: Type.Integer({ description: "Every verification outcome in the range." }),
    codes: Type.Record(Type.String(), Type.Integer(), { description: "The total by code." }),
    buckets: Type.Array(UsageBucketSchema, {
      description: "Every bucket of the range, oldest first, zero-filled.",
    }),
    groups: Type.Array(UsageGroupSchema, {
      description:
        "groupBy=key: the keys with the most verifications, largest first (NOT_FOUND outcomes, which have no " +
        "key, count only in the totals); groupBy=code: the codes, largest first.",
    }),
  },
  {
    examples: [
      {
        projectId: "proj_2Vd8GJ0vbqXo1yH2vQ4i7Z",
        granularity: "hour",
        from: "2026-11-28T09:00:00.000Z",
        to: "2026-11-28T12:00:00.000Z",
        groupBy: "key",
        total: 2_077,
        codes: { VALID: 2_060, RATE_LIMITED: 14, INSUFFICIENT_SCOPE: 3 },
        buckets: BUCKETS_EXAMPLE,
        groups: [
          { id: "key_2Vd8GJ0vbqXo1yH2vQ4i7Z", total: 1_500, codes: { VALID: 1_486, RATE_LIMITED: 14 } },
          { id: "key_2Vd8GJ3kLr1zPq8sXe5mNb", total: 577, codes: { VALID: 574, INSUFFICIENT_SCOPE: 3 } },
        ],
      },
    ],
  },
);

/** GET /v1/usage: totals, series and top keys of a project (or of every visible project) in one call. */
export function registerProjectUsage(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/usage",
    {
      config: { permission: "usage:read" },
      schema: {
        tags: ["usage"],
        summary: "Get usage of many keys",
        description:
          "Needs `usage:read`. Verification outcomes of a project's keys (every project the token can see " +
          "without `projectId`): totals by code, the series of UTC buckets, and the top keys (or codes).",
        querystring: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            ...UsageRangeQuery,
            groupBy: Type.Optional(
              Type.Union([Type.Literal("key"), Type.Literal("code")], { description: "Default key." }),
            ),
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: MAX_USAGE_GROUPS,
                description: `Most groups returned (1-${MAX_USAGE_GROUPS}); default ${DEFAULT_USAGE_GROUPS}.`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProjectUsageSchema, ...problems(404) },
      },
    },
    async (request) => {
      const { projectId, groupBy, limit } = request.query;
      const report = await deps.usage.projectUsage(principalOf(request), {
        ...rangeInput(request.query),
        ...(projectId === undefined ? {} : { projectId }),
        ...(groupBy === undefined ? {} : { groupBy }),
        ...(limit === undefined ? {} : { limit }),
      });
      return {
        projectId: report.projectId,
        granularity: report.granularity,
        from: new Date(report.fromMs).toISOString(),
        to: new Date(report.toMs).toISOString(),
        groupBy: report.groupBy,
        total: report.total,
        codes: report.codes,
        buckets: report.buckets.map(presentBucket),
        groups: report.groups.map(presentGroup),
      };
    },
  );
}
