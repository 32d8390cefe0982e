import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { pageOf } from "../../../schemas.js";
import { CatalogueListQuery } from "../permissions/permission-schemas.js";
import { presentRole, ROLE_EXAMPLE, RoleSchema } from "./role-schemas.js";

/** GET /v1/roles: roles in creation order, with their permissions. */
export function registerListRoles(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/roles",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["rbac"],
        summary: "List roles",
        description:
          "Needs `rbac:read`. In creation order, `search` matching id, name or description (ignoring case); " +
          "follow `nextCursor` for the next page.",
        querystring: CatalogueListQuery,
        response: { 200: pageOf(RoleSchema, ROLE_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.keyRoles.listRoles(principalOf(request), request.query);
      return { items: page.items.map(presentRole), nextCursor: page.nextCursor };
    },
  );
}
