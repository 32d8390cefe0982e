import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { CatalogueRefParams } from "./permission-schemas.js";

/** DELETE /v1/permissions/{ref}: deletes a permission and takes it out of every role. */
export function registerDeletePermission(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/permissions/:ref",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["rbac"],
        summary: "Delete a permission",
        description:
          "Needs `rbac:write` on every project. By id or slug. Every role loses it, on every node at once; keys " +
          "that hold the slug as a scope of their own keep it.",
        params: CatalogueRefParams,
        response: { 204: Type.Null({ description: "Deleted; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.keyRoles.deletePermission(principalOf(request), request.params.ref);
      return reply.status(204).send(null);
    },
  );
}
