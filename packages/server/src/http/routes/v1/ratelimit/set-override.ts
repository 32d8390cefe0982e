import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentOverride } from "../../../presenters.js";
import { problems } from "../../../route-kit.js";
import { LimitAmount, WindowMs } from "../../../schemas.js";
import { Identifier, Namespace, OverrideSchema } from "./ratelimit-schemas.js";

/** PUT /v1/ratelimit/overrides: gives one identifier of a namespace its own limit and window. */
export function registerSetOverride(app: KeywardApp, deps: AppDependencies): void {
  app.put(
    "/v1/ratelimit/overrides",
    {
      config: { permission: "ratelimit:write" },
      schema: {
        tags: ["ratelimit"],
        summary: "Set a rate limit override",
        description:
          "Needs `ratelimit:write`. Creates or replaces the override of one identifier: from now on its requests " +
          "count against this limit and window, whatever they ask for; every other identifier is unaffected. " +
          "Every node sharing PostgreSQL or Redis drops its cached copy as soon as the change is broadcast.",
        body: Type.Object(
          { namespace: Namespace, identifier: Identifier, limit: LimitAmount, windowMs: WindowMs },
          {
            additionalProperties: false,
            examples: [{ namespace: "login", identifier: "user_42", limit: 100, windowMs: 60_000 }],
          },
        ),
        response: { 200: OverrideSchema, ...problems(413, 415) },
      },
    },
    async (request) => presentOverride(await deps.ratelimits.setOverride(principalOf(request), request.body)),
  );
}
