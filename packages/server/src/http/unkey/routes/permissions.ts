import {
  MAX_PERMISSIONS_PER_ROLE,
  MAX_RBAC_DESCRIPTION_LENGTH,
  MAX_RBAC_NAME_LENGTH,
} from "@keyward/core/key-roles.js";
import { type Static, type TSchema, Type } from "typebox";
import type { PermissionRecord, RoleRecord } from "../../../store/key-role-store.js";
import { principalOf } from "../../auth.js";
import { LIMITS } from "../../schemas.js";
import { compact, type UnkeyPagination, unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";

/*
 * Unkey's permissions.* over Keyward's instance-wide catalogue (KeyRoleService): an Unkey workspace is one Keyward
 * instance. A permission's id is derived from its slug, so it equals the id keys.addPermissions shows for it.
 */

const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const PERMISSION_EXAMPLE = {
  id: "perm_a2f9cebad333a0a7",
  name: "Read documents",
  slug: "documents.read",
  description: "Reads any document of the account.",
};
const ROLE_EXAMPLE = {
  id: "role_0Vg3dQ1n2Lq9Pz3RtYu4Ab",
  name: "editor",
  description: "Reads and writes documents.",
  permissions: [PERMISSION_EXAMPLE],
};

const Slug = Type.String({
  minLength: 1,
  maxLength: LIMITS.scopeLength,
  description: "What keys hold and queries name: a Keyward scope (A-Z a-z 0-9 _ . - :, and * last).",
});
const Name = Type.String({ minLength: 1, maxLength: MAX_RBAC_NAME_LENGTH });
const Description = Type.String({ maxLength: MAX_RBAC_DESCRIPTION_LENGTH });
const Ref = Type.String({ minLength: 1, maxLength: Math.max(LIMITS.scopeLength, MAX_RBAC_NAME_LENGTH) });

const UnkeyPermission = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  description: Type.Optional(Type.String()),
});
const UnkeyRole = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  permissions: Type.Optional(Type.Array(UnkeyPermission)),
});
const Pagination = Type.Object({ hasMore: Type.Boolean(), cursor: Type.Optional(Type.String()) });

const ListBody = (example: Record<string, unknown>) =>
  Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "Default 100." })),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.cursorLength })),
      search: Type.Optional(
        Type.String({ minLength: 1, maxLength: 128, description: "A substring, matched ignoring case." }),
      ),
    },
    { additionalProperties: false, examples: [example] },
  );

/** Unkey's success envelope around `data`, with an example of the whole body. */
function envelope<T extends TSchema>(data: T, example: unknown) {
  return Type.Object(
    { meta: Type.Object({ requestId: Type.String() }), data },
    { examples: [{ meta: { requestId: REQUEST_ID }, data: example }] },
  );
}

/** Unkey's envelope of a list page. */
function pagedEnvelope<T extends TSchema>(data: T, example: unknown) {
  return Type.Object(
    { meta: Type.Object({ requestId: Type.String() }), data, pagination: Pagination },
    { examples: [{ meta: { requestId: REQUEST_ID }, data: example, pagination: { hasMore: false } }] },
  );
}

/** A catalogue permission as Unkey's `Permission` (no description: left out). */
export function presentUnkeyPermission(permission: PermissionRecord): Static<typeof UnkeyPermission> {
  return compact({
    id: permission.id,
    name: permission.name,
    slug: permission.slug,
    description: permission.description,
  }) as Static<typeof UnkeyPermission>;
}

/** A role as Unkey's `Role`, with its permissions. */
export function presentUnkeyRole(role: RoleRecord): Static<typeof UnkeyRole> {
  return compact({
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions.map(presentUnkeyPermission),
  }) as Static<typeof UnkeyRole>;
}

function pagination(nextCursor: string | null): UnkeyPagination {
  return nextCursor === null ? { hasMore: false } : { hasMore: true, cursor: nextCursor };
}

const CreatePermissionBody = Type.Object(
  { name: Name, slug: Slug, description: Type.Optional(Description) },
  {
    additionalProperties: false,
    examples: [{ name: "Read documents", slug: "documents.read", description: "Reads any document." }],
  },
);

/** POST /v2/permissions.createPermission */
const registerCreatePermission: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.createPermission",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["unkey"],
        summary: "Create a permission (Unkey v2)",
        description:
          "Needs `rbac:write` on every project (the catalogue is instance-wide). Adds `slug` to the catalogue; its " +
          "id is `perm_` + 16 hex digits of the slug's SHA-256. A slug that exists is a 409.",
        body: CreatePermissionBody,
        response: {
          200: envelope(Type.Object({ permissionId: Type.String() }), {
            permissionId: PERMISSION_EXAMPLE.id,
          }),
        },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof CreatePermissionBody>;
      const permission = await deps.keyRoles.createPermission(principalOf(request), body);
      return unkeyOk(request, { permissionId: permission.id });
    },
  );
};

/** POST /v2/permissions.getPermission */
const registerGetPermission: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.getPermission",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["unkey"],
        summary: "Get a permission (Unkey v2)",
        description:
          "Needs `rbac:read`. The permission with this id or slug; 404 when the catalogue has none.",
        body: Type.Object(
          { permission: Ref },
          { additionalProperties: false, examples: [{ permission: PERMISSION_EXAMPLE.id }] },
        ),
        response: { 200: envelope(UnkeyPermission, PERMISSION_EXAMPLE) },
      },
    },
    async (request) => {
      const permission = await deps.keyRoles.getPermission(principalOf(request), request.body.permission);
      return unkeyOk(request, presentUnkeyPermission(permission));
    },
  );
};

const ListPermissionsBody = ListBody({ limit: 50, search: "documents" });

/** POST /v2/permissions.listPermissions */
const registerListPermissions: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.listPermissions",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["unkey"],
        summary: "List permissions (Unkey v2)",
        description:
          "Needs `rbac:read`. The catalogue's permissions in id order, `limit` (1-100, default 100) per page, only " +
          "those whose id, name, slug or description holds `search` (ignoring case). `pagination.cursor` is left " +
          "out on the last page.",
        body: ListPermissionsBody,
        response: { 200: pagedEnvelope(Type.Array(UnkeyPermission), [PERMISSION_EXAMPLE]) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof ListPermissionsBody>;
      const page = await deps.keyRoles.listPermissions(principalOf(request), {
        ...body,
        limit: body.limit ?? 100,
      });
      return {
        ...unkeyOk(request, page.items.map(presentUnkeyPermission)),
        pagination: pagination(page.nextCursor),
      };
    },
  );
};

/** POST /v2/permissions.deletePermission */
const registerDeletePermission: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.deletePermission",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["unkey"],
        summary: "Delete a permission (Unkey v2)",
        description:
          "Needs `rbac:write` on every project. Deletes the permission (by id or slug) and takes it out of every " +
          "role, on every node at once. Keys that hold its slug as a direct permission keep it (a Keyward scope).",
        body: Type.Object(
          { permission: Ref },
          { additionalProperties: false, examples: [{ permission: "documents.read" }] },
        ),
        response: { 200: envelope(Type.Object({}), {}) },
      },
    },
    async (request) => {
      await deps.keyRoles.deletePermission(principalOf(request), request.body.permission);
      return unkeyOk(request, {});
    },
  );
};

const RolePermissions = Type.Array(Slug, {
  maxItems: MAX_PERMISSIONS_PER_ROLE,
  description: "Permission slugs; those missing from the catalogue are added to it.",
});

const CreateRoleBody = Type.Object(
  { name: Name, description: Type.Optional(Description), permissions: Type.Optional(RolePermissions) },
  {
    additionalProperties: false,
    examples: [
      { name: "editor", description: "Reads and writes documents.", permissions: ["documents.read"] },
    ],
  },
);

/** POST /v2/permissions.createRole */
const registerCreateRole: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.createRole",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["unkey"],
        summary: "Create a role (Unkey v2)",
        description:
          "Needs `rbac:write` on every project. A role named `name` (unique: 409 otherwise) granting the " +
          "`permissions` slugs, which are added to the catalogue when missing.",
        body: CreateRoleBody,
        response: { 200: envelope(Type.Object({ roleId: Type.String() }), { roleId: ROLE_EXAMPLE.id }) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof CreateRoleBody>;
      const role = await deps.keyRoles.createRole(principalOf(request), body);
      return unkeyOk(request, { roleId: role.id });
    },
  );
};

/** POST /v2/permissions.getRole */
const registerGetRole: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.getRole",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["unkey"],
        summary: "Get a role (Unkey v2)",
        description: "Needs `rbac:read`. The role with this id or name, with its permissions; 404 when none.",
        body: Type.Object({ role: Ref }, { additionalProperties: false, examples: [{ role: "editor" }] }),
        response: { 200: envelope(UnkeyRole, ROLE_EXAMPLE) },
      },
    },
    async (request) => {
      const role = await deps.keyRoles.getRole(principalOf(request), request.body.role);
      return unkeyOk(request, presentUnkeyRole(role));
    },
  );
};

const ListRolesBody = ListBody({ limit: 50 });

/** POST /v2/permissions.listRoles */
const registerListRoles: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.listRoles",
    {
      config: { permission: "rbac:read" },
      schema: {
        tags: ["unkey"],
        summary: "List roles (Unkey v2)",
        description:
          "Needs `rbac:read`. Roles in creation order with their permissions, `limit` (1-100, default 100) per " +
          "page, only those whose id, name or description holds `search` (ignoring case).",
        body: ListRolesBody,
        response: { 200: pagedEnvelope(Type.Array(UnkeyRole), [ROLE_EXAMPLE]) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof ListRolesBody>;
      const page = await deps.keyRoles.listRoles(principalOf(request), { ...body, limit: body.limit ?? 100 });
      return {
        ...unkeyOk(request, page.items.map(presentUnkeyRole)),
        pagination: pagination(page.nextCursor),
      };
    },
  );
};

/** POST /v2/permissions.deleteRole */
const registerDeleteRole: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.deleteRole",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["unkey"],
        summary: "Delete a role (Unkey v2)",
        description:
          "Needs `rbac:write` on every project. Deletes the role (by id or name): keys holding it lose its " +
          "permissions on every node at once.",
        body: Type.Object(
          { role: Ref },
          { additionalProperties: false, examples: [{ role: ROLE_EXAMPLE.id }] },
        ),
        response: { 200: envelope(Type.Object({}), {}) },
      },
    },
    async (request) => {
      await deps.keyRoles.deleteRole(principalOf(request), request.body.role);
      return unkeyOk(request, {});
    },
  );
};

const SetRolePermissionsBody = Type.Object(
  { roleId: Ref, permissions: RolePermissions },
  { additionalProperties: false, examples: [{ roleId: ROLE_EXAMPLE.id, permissions: ["documents.read"] }] },
);

/** POST /v2/permissions.setRolePermissions */
const registerSetRolePermissions: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/permissions.setRolePermissions",
    {
      config: { permission: "rbac:write" },
      schema: {
        tags: ["unkey"],
        summary: "Set a role's permissions (Unkey v2)",
        description:
          "Needs `rbac:write` on every project. Replaces the permissions of the role `roleId` (an id or a name) " +
          "with these slugs (added to the catalogue when missing); an empty list clears them. Applies to every " +
          "key holding the role, on every node at once.",
        body: SetRolePermissionsBody,
        response: { 200: envelope(Type.Array(UnkeyPermission), [PERMISSION_EXAMPLE]) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof SetRolePermissionsBody>;
      const role = await deps.keyRoles.setRolePermissions(
        principalOf(request),
        body.roleId,
        body.permissions,
      );
      return unkeyOk(request, role.permissions.map(presentUnkeyPermission));
    },
  );
};

/** Unkey's permissions.* operations. */
export const UNKEY_PERMISSIONS_ROUTES: readonly UnkeyRoute[] = [
  registerCreatePermission,
  registerGetPermission,
  registerListPermissions,
  registerDeletePermission,
  registerCreateRole,
  registerGetRole,
  registerListRoles,
  registerDeleteRole,
  registerSetRolePermissions,
];
