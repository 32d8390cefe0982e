import { Type } from "typebox";
import { MAX_EXTERNAL_ID_LENGTH } from "../../../../services/identity-service.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdentityFields, IdentitySchema, presentIdentity } from "./identity-schemas.js";

/** POST /v1/identities: shared meta and rate limits for every key of one owner. */
export function registerCreateIdentity(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/identities",
    {
      config: { permission: "identities:write" },
      schema: {
        tags: ["identities"],
        summary: "Create an identity",
        description:
          "Needs `identities:write` and a token not limited to projects (identities are instance-wide). Every key " +
          "whose ownerId is `externalId`, in any project, belongs to it: verifications return its `meta` and charge " +
          "its `rateLimits`, counted once for all its keys (a key's own limit of the same name applies instead). " +
          "409 when the externalId has an identity.",
        body: Type.Object(
          {
            externalId: Type.String({ minLength: 1, maxLength: MAX_EXTERNAL_ID_LENGTH }),
            ...IdentityFields,
          },
          {
            additionalProperties: false,
            examples: [
              {
                externalId: "cust_123",
                meta: { plan: "enterprise" },
                rateLimits: [{ name: "requests", limit: 1_000, windowMs: 60_000 }],
              },
            ],
          },
        ),
        response: { 201: IdentitySchema, ...problems(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const identity = await deps.identities.createIdentity(principalOf(request), request.body);
      return reply.status(201).send(presentIdentity(identity));
    },
  );
}
