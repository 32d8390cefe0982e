import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { CatalogueDescription, CatalogueName } from "../permissions/permission-schemas.js";
import { presentRole, RolePermissionSlugs, RoleSchema } from "./role-schemas.js";

/** POST /v1/roles: a named set of permissions keys can hold. */
export function registerCreateRole(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/roles",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["rbac"],
        summary: "Create a role",
        description:
          "Needs `rbac:write` on every project (roles are instance-wide). `name` is unique (409 otherwise); " +
          "`permissions` are slugs, added to the catalogue when missing. Give keys the role with `roles` on " +
          "POST /v1/keys or PATCH /v1/keys/{id}.",
        body: Type.Object(
          {
            name: CatalogueName,
            description: Type.Optional(CatalogueDescription),
            permissions: Type.Optional(RolePermissionSlugs),
          },
          {
            additionalProperties: false,
            examples: [
              { name: "editor", description: "Reads and writes documents.", permissions: ["documents.read"] },
            ],
          },
        ),
        response: { 201: RoleSchema, ...problems(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const role = await deps.keyRoles.createRole(principalOf(request), request.body);
      return reply.status(201).send(presentRole(role));
    },
  );
}
