import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { CatalogueRefParams } from "../permissions/permission-schemas.js";

/** DELETE /v1/roles/{ref}: deletes a role; keys holding it lose its permissions at once. */
export function registerDeleteRole(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/roles/:ref",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["rbac"],
        summary: "Delete a role",
        description:
          "Needs `rbac:write` on every project. By id or name. Keys holding it stop getting its permissions on " +
          "every node at once (its id stays on them, granting nothing, and is no longer shown).",
        params: CatalogueRefParams,
        response: { 204: Type.Null({ description: "Deleted; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.keyRoles.deleteRole(principalOf(request), request.params.ref);
      return reply.status(204).send(null);
    },
  );
}
