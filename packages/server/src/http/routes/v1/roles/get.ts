import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { CatalogueRefParams } from "../permissions/permission-schemas.js";
import { presentRole, RoleSchema } from "./role-schemas.js";

/** GET /v1/roles/{ref}: one role by id or name. */
export function registerGetRole(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/roles/:ref",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["rbac"],
        summary: "Get a role",
        description: "Needs `rbac:read`. By id or name; 404 when no role matches.",
        params: CatalogueRefParams,
        response: { 200: RoleSchema, ...problems(404) },
      },
    },
    async (request) => presentRole(await deps.keyRoles.getRole(principalOf(request), request.params.ref)),
  );
}
