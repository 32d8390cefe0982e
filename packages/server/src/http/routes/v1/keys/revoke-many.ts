import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { emptyBodyAsObject, problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";

/** POST /v1/keys/revoke: revokes every key of an owner or of a project at once. */
export function registerRevokeKeys(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/revoke",
    {
      config: { permission: "keys:revoke", stepUp: true },
      // A missing body reaches the service, whose error names what is missing rather than "must be object".
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["keys"],
        summary: "Revoke keys in bulk",
        description:
          "Needs `keys:revoke`. From a user's session also a second factor within the last 5 minutes (403 STEP_UP_REQUIRED: POST " +
          "/v1/auth/step-up first). Irreversible. Revokes every unrevoked key of `ownerId`, of `projectId`, or of the " +
          "owner within the project (at least one is required), among the projects the token can see, and " +
          "returns how many it revoked. Keys revoked already keep their first revocation. Each revoked key " +
          "emits a key.revoked event.",
        body: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ownerIdLength })),
            reason: Type.Optional(Type.String({ maxLength: LIMITS.reasonLength })),
          },
          {
            additionalProperties: false,
            examples: [
              { ownerId: "customer_42", reason: "account closed" },
              { projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4", reason: "project retired" },
            ],
          },
        ),
        response: {
          200: Type.Object(
            { revoked: Type.Integer({ minimum: 0, description: "How many keys this request revoked." }) },
            { examples: [{ revoked: 3 }] },
          ),
          ...problems(404, 413, 415),
        },
      },
    },
    async (request) => {
      const { projectId, ownerId, reason } = request.body;
      return deps.keys.revokeKeys(principalOf(request), {
        ...(projectId === undefined ? {} : { projectId }),
        ...(ownerId === undefined ? {} : { ownerId }),
        reason: reason ?? null,
      });
    },
  );
}
