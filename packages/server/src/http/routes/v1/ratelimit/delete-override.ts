import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { Identifier, Namespace } from "./ratelimit-schemas.js";

/** DELETE /v1/ratelimit/overrides: removes one identifier's override; its requests get what they ask for again. */
export function registerDeleteOverride(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/ratelimit/overrides",
    {
      config: { permission: "ratelimit:write" },
      schema: {
        tags: ["ratelimit"],
        summary: "Delete a rate limit override",
        description:
          "Needs `ratelimit:write`. The identifier travels in the query (it may contain any character). 404 when " +
          "the namespace has no override for it.",
        querystring: Type.Object(
          { namespace: Namespace, identifier: Identifier },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null({ description: "Deleted; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      const { namespace, identifier } = request.query;
      await deps.ratelimits.deleteOverride(principalOf(request), namespace, identifier);
      return reply.status(204).send(null);
    },
  );
}
