import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";
import { presentSecret } from "../../../secret-presenters.js";
import { SECRET_VALUE_EXAMPLE, SecretName, SecretValue, secretRef } from "../../../secret-schemas.js";

/** POST /v1/secrets: stores an upstream credential sealed, and answers with its metadata only. */
export function registerCreateSecret(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/secrets",
    {
      config: { permission: "secrets:write" },
      schema: {
        tags: ["secrets"],
        summary: "Store a secret",
        description:
          "Needs `secrets:write`. Stores a third-party credential (an upstream API key the gateway injects) " +
          "sealed by the KMS. The response never holds the value; reading it back is POST " +
          "/v1/secrets/{id}/reveal (`secrets:reveal`). Without `projectId` the secret goes to the default project.",
        body: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            name: SecretName,
            value: SecretValue,
          },
          {
            additionalProperties: false,
            examples: [
              {
                projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
                name: "STRIPE_API_KEY",
                value: SECRET_VALUE_EXAMPLE,
              },
            ],
          },
        ),
        response: { 201: secretRef("Secret"), ...problems(404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const secret = await deps.secrets.createSecret(principalOf(request), request.body);
      return reply.status(201).send(presentSecret(secret));
    },
  );
}
