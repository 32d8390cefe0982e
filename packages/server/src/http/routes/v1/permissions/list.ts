import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { pageOf } from "../../../schemas.js";
import {
  CatalogueListQuery,
  PERMISSION_EXAMPLE,
  PermissionSchema,
  presentPermission,
} from "./permission-schemas.js";

/** GET /v1/permissions: the catalogue's permissions in id order. */
export function registerListPermissions(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/permissions",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["rbac"],
        summary: "List permissions",
        description:
          "Needs `rbac:read`. In id order, `search` matching id, slug, name or description (ignoring case); " +
          "follow `nextCursor` for the next page.",
        querystring: CatalogueListQuery,
        response: { 200: pageOf(PermissionSchema, PERMISSION_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.keyRoles.listPermissions(principalOf(request), request.query);
      return { items: page.items.map(presentPermission), nextCursor: page.nextCursor };
    },
  );
}
