import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import {
  CatalogueDescription,
  CatalogueListQuery,
  CatalogueName,
  CatalogueRefParams,
  presentRole,
  ROLE_EXAMPLE,
  RolePermissionSlugs,
  RoleSchema,
} from "../../../rbac-schemas.js";
import { problems } from "../../../route-kit.js";
import { pageOf } from "../../../schemas.js";

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
