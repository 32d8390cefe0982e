import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentRatelimit } from "../../../presenters.js";
import { problems } from "../../../route-kit.js";
import { Cost, LimitAmount, WindowMs } from "../../../schemas.js";
import { Identifier, Namespace } from "./ratelimit-schemas.js";

const RatelimitResponse = Type.Object(
  {
    success: Type.Boolean({ description: "Whether the request is admitted (and was counted)." }),
    limit: Type.Integer({ description: "The limit that applied: the override's, else the requested one." }),
    remaining: Type.Integer({ description: "Units left in the sliding window after this request." }),
    resetAt: Type.String({ format: "date-time", description: "When the current window ends." }),
    overridden: Type.Optional(
      Type.Boolean({ description: "True when an override for the identifier replaced limit and window." }),
    ),
    degraded: Type.Optional(
      Type.Boolean({
        description:
          "True when the rate limiter was unavailable and KEYWARD_RATELIMIT_FAIL_OPEN let the request through " +
          "uncounted.",
      }),
    ),
  },
  {
    examples: [
      { success: true, limit: 5, remaining: 4, resetAt: "2026-11-28T09:01:00.000Z" },
      { success: false, limit: 5, remaining: 0, resetAt: "2026-11-28T09:01:00.000Z" },
      { success: true, limit: 100, remaining: 99, resetAt: "2026-11-28T09:01:00.000Z", overridden: true },
    ],
  },
);

/** POST /v1/ratelimit: counts one request against a standalone limit (not tied to a key). */
export function registerRatelimit(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/ratelimit",
    {
      config: { permission: "ratelimit:limit" },
      schema: {
        tags: ["ratelimit"],
        summary: "Check a rate limit",
        description:
          "Needs `ratelimit:limit`. Counts `cost` (default 1) against `limit` units per sliding window of " +
          "`windowMs` for one identifier of a namespace, for limits not tied to a key (logins, signups, per-IP). " +
          "A refused request is `success: false` with HTTP 200 and is not counted. An override set for the " +
          "identifier replaces limit and window (`overridden: true`). When the rate limiter is down the answer " +
          "is `success: true, degraded: true` (KEYWARD_RATELIMIT_FAIL_OPEN) or 503 RATE_LIMITER_UNAVAILABLE.",
        body: Type.Object(
          {
            namespace: Namespace,
            identifier: Identifier,
            limit: LimitAmount,
            windowMs: WindowMs,
            cost: Type.Optional(Cost),
          },
          {
            additionalProperties: false,
            examples: [
              { namespace: "login", identifier: "user_42", limit: 5, windowMs: 60_000 },
              { namespace: "signup", identifier: "203.0.113.7", limit: 10, windowMs: 3_600_000, cost: 2 },
            ],
          },
        ),
        response: { 200: RatelimitResponse, ...problems(413, 415, 503) },
      },
    },
    async (request) => presentRatelimit(await deps.ratelimits.limit(principalOf(request), request.body)),
  );
}
