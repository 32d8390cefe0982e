import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** DELETE /v1/secrets/{id}: deletes a secret and its sealed value. */
export function registerDeleteSecret(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/secrets/:id",
    {
      config: { permission: "secrets:write" },
      schema: {
        tags: ["secrets"],
        summary: "Delete a secret",
        description: "Needs `secrets:write`. Irreversible.",
        params: IdParams,
        response: { 204: Type.Null({ description: "Deleted; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.secrets.deleteSecret(principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
