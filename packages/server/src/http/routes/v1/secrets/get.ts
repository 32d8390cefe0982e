import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentSecret } from "../../../secret-presenters.js";
import { secretRef } from "../../../secret-schemas.js";

/** GET /v1/secrets/{id}: one secret's metadata. */
export function registerGetSecret(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/secrets/:id",
    {
      config: { permission: "secrets:read" },
      schema: {
        tags: ["secrets"],
        summary: "Get a secret's metadata",
        description: "Needs `secrets:read`. Never the value: see POST /v1/secrets/{id}/reveal.",
        params: IdParams,
        response: { 200: secretRef("Secret"), ...problems(404) },
      },
    },
    async (request) => presentSecret(await deps.secrets.getSecret(principalOf(request), request.params.id)),
  );
}
