import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import {
  CatalogueDescription,
  CatalogueListQuery,
  CatalogueName,
  CatalogueRefParams,
  PERMISSION_EXAMPLE,
  PermissionSchema,
  PermissionSlug,
  presentPermission,
} from "../../../rbac-schemas.js";
import { problems } from "../../../route-kit.js";
import { pageOf } from "../../../schemas.js";

/** POST /v1/permissions: adds a permission to the instance's catalogue. */
export function registerCreatePermission(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/permissions",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["rbac"],
        summary: "Create a permission",
        description:
          "Needs `rbac:write` on every project (the catalogue is instance-wide). Its id is derived from `slug` " +
          "(`perm_` + 16 hex digits of its SHA-256); a slug that exists is a 409. Keys may hold any scope " +
          "without a catalogue entry; roles grant catalogue permissions.",
        body: Type.Object(
          { slug: PermissionSlug, name: CatalogueName, description: Type.Optional(CatalogueDescription) },
          {
            additionalProperties: false,
            examples: [
              { slug: "documents.read", name: "Read documents", description: "Reads any document." },
            ],
          },
        ),
        response: { 201: PermissionSchema, ...problems(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const permission = await deps.keyRoles.createPermission(principalOf(request), request.body);
      return reply.status(201).send(presentPermission(permission));
    },
  );
}

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
