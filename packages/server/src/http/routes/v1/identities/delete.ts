import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdentityParams } from "./identity-schemas.js";

/** DELETE /v1/identities/{id}: deletes an identity; its keys stay, with their ownerId. */
export function registerDeleteIdentity(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/identities/:id",
    {
      config: { permission: "identities:write" },
      schema: {
        tags: ["identities"],
        summary: "Delete an identity",
        description:
          "Needs `identities:write` and a token not limited to projects. Its keys keep working with their ownerId " +
          "and lose its meta and shared rate limits.",
        params: IdentityParams,
        response: { 204: Type.Null({ description: "Deleted; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.identities.deleteIdentity(principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
