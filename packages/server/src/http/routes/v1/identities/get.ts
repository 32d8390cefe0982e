import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdentityParams, IdentitySchema, presentIdentity } from "./identity-schemas.js";

/** GET /v1/identities/{id}: one identity, by id or externalId. */
export function registerGetIdentity(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/identities/:id",
    {
      config: { permission: "identities:read" },
      schema: {
        tags: ["identities"],
        summary: "Get an identity",
        description: "Needs `identities:read`. `id` is the identity's id or its externalId.",
        params: IdentityParams,
        response: { 200: IdentitySchema, ...problems(404) },
      },
    },
    async (request) =>
      presentIdentity(await deps.identities.getIdentity(principalOf(request), request.params.id)),
  );
}
