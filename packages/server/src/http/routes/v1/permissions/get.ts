import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { CatalogueRefParams, PermissionSchema, presentPermission } from "./permission-schemas.js";

/** GET /v1/permissions/{ref}: one permission by id or slug. */
export function registerGetPermission(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/permissions/:ref",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["rbac"],
        summary: "Get a permission",
        description: "Needs `rbac:read`. By id or slug; 404 when the catalogue has none.",
        params: CatalogueRefParams,
        response: { 200: PermissionSchema, ...problems(404) },
      },
    },
    async (request) =>
      presentPermission(await deps.keyRoles.getPermission(principalOf(request), request.params.ref)),
  );
}
