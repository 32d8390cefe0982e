import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { CatalogueRefParams } from "../permissions/permission-schemas.js";
import { presentRole, RolePermissionSlugs, RoleSchema } from "./role-schemas.js";

/** PUT /v1/roles/{ref}/permissions: replaces a role's permissions. */
export function registerSetRolePermissions(app: KeywardApp, deps: AppDependencies): void {
  app.put(
    "/v1/roles/:ref/permissions",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["rbac"],
        summary: "Set a role's permissions",
        description:
          "Needs `rbac:write` on every project. Replaces the role's permissions with these slugs (added to the " +
          "catalogue when missing); every key holding the role sees the change on every node at once.",
        params: CatalogueRefParams,
        body: Type.Object(
          { permissions: RolePermissionSlugs },
          { additionalProperties: false, examples: [{ permissions: ["documents.read", "documents.write"] }] },
        ),
        response: { 200: RoleSchema, ...problems(404, 413, 415) },
      },
    },
    async (request) =>
      presentRole(
        await deps.keyRoles.setRolePermissions(
          principalOf(request),
          request.params.ref,
          request.body.permissions,
        ),
      ),
  );
}
