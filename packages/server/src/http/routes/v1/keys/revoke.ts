import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentKey } from "../../../presenters.js";
import { emptyBodyAsObject, problems, ref } from "../../../route-kit.js";
import { IdParams, LIMITS } from "../../../schemas.js";

/** POST /v1/keys/{id}/revoke: revokes a key for good. */
export function registerRevokeKey(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/:id/revoke",
    {
      config: { permission: "keys:revoke" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["keys"],
        summary: "Revoke a key",
        description:
          "Needs `keys:revoke`. Irreversible. Revoking a revoked key is a no-op that returns the record with its " +
          "first revocation. The body is optional.",
        params: IdParams,
        body: Type.Object(
          { reason: Type.Optional(Type.String({ maxLength: LIMITS.reasonLength })) },
          { additionalProperties: false, examples: [{ reason: "leaked in a public repository" }] },
        ),
        response: { 200: ref("Key"), ...problems(404, 413, 415) },
      },
    },
    async (request) =>
      presentKey(
        await deps.keys.revokeKey(principalOf(request), request.params.id, request.body.reason ?? null),
      ),
  );
}
