import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdentityFields, IdentityParams, IdentitySchema, presentIdentity } from "./identity-schemas.js";

/** PATCH /v1/identities/{id}: replaces an identity's meta and/or rate limits. */
export function registerUpdateIdentity(app: KeywardApp, deps: AppDependencies): void {
  app.patch(
    "/v1/identities/:id",
    {
      config: { permission: "identities:write" },
      schema: {
        tags: ["identities"],
        summary: "Update an identity",
        description:
          "Needs `identities:write` and a token not limited to projects. `meta` and `rateLimits` are replaced " +
          "whole; an absent field stays. The change applies to the next verification on every node.",
        params: IdentityParams,
        body: Type.Object(IdentityFields, {
          additionalProperties: false,
          examples: [
            { meta: { plan: "pro" } },
            { rateLimits: [{ name: "requests", limit: 2_000, windowMs: 60_000 }] },
          ],
        }),
        response: { 200: IdentitySchema, ...problems(404, 413, 415) },
      },
    },
    async (request) =>
      presentIdentity(
        await deps.identities.updateIdentity(principalOf(request), request.params.id, request.body),
      ),
  );
}
