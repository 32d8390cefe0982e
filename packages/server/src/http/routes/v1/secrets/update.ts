import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentSecret } from "../../../secret-presenters.js";
import { SECRET_VALUE_EXAMPLE, SecretValue, secretRef } from "../../../secret-schemas.js";

/** PATCH /v1/secrets/{id}: replaces a secret's value (sealed afresh). */
export function registerUpdateSecret(app: KeywardApp, deps: AppDependencies): void {
  app.patch(
    "/v1/secrets/:id",
    {
      config: { permission: "secrets:write" },
      schema: {
        tags: ["secrets"],
        summary: "Replace a secret's value",
        description:
          "Needs `secrets:write`. The new value is sealed under a fresh data key; the old one is gone. The " +
          "response is the metadata only.",
        params: IdParams,
        body: Type.Object(
          { value: SecretValue },
          { additionalProperties: false, examples: [{ value: SECRET_VALUE_EXAMPLE }] },
        ),
        response: { 200: secretRef("Secret"), ...problems(404, 413, 415) },
      },
    },
    async (request) =>
      presentSecret(await deps.secrets.updateSecret(principalOf(request), request.params.id, request.body)),
  );
}
