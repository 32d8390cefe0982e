import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentToken } from "../../../presenters.js";
import { emptyBodyAsObject, problems, ref } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** POST /v1/tokens/{id}/revoke: revokes an admin token; this node refuses it from the next request. */
export function registerRevokeToken(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/tokens/:id/revoke",
    {
      config: { permission: "tokens:write" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["tokens"],
        summary: "Revoke an admin token",
        description:
          "Needs `tokens:write` and every permission the target token holds. Irreversible; revoking again is a no-op.",
        params: IdParams,
        response: { 200: ref("Token"), ...problems(404) },
      },
    },
    async (request) => presentToken(await deps.tokens.revokeToken(principalOf(request), request.params.id)),
  );
}
