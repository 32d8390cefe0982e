import {
  MAX_PERMISSIONS_PER_ROLE,
  MAX_RBAC_DESCRIPTION_LENGTH,
  MAX_RBAC_NAME_LENGTH,
} from "@keyward/core/key-roles.js";
import { Type } from "typebox";
import type { PermissionRecord, RoleRecord } from "../store/key-role-store.js";
import { LIMITS } from "./schemas.js";

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example catalogue permission, for the OpenAPI document. */
export const PERMISSION_EXAMPLE = {
  id: "perm_a2f9cebad333a0a7",
  slug: "documents.read",
  name: "Read documents",
  description: "Reads any document of the account.",
  createdAt: exampleTime,
};

/** An example role, for the OpenAPI document. */
export const ROLE_EXAMPLE = {
  id: "role_0Vg3dQ1n2Lq9Pz3RtYu4Ab",
  name: "editor",
  description: "Reads and writes documents.",
  permissions: [PERMISSION_EXAMPLE],
  createdAt: exampleTime,
  updatedAt: exampleTime,
};

const permissionProperties = {
  id: Type.String({ description: "`perm_` + 16 hex digits of the slug's SHA-256." }),
  slug: Type.String({ description: "What keys hold and queries name (a scope)." }),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: "date-time" }),
};

/** A permission of the catalogue. */
export const PermissionSchema = Type.Object(permissionProperties, { examples: [PERMISSION_EXAMPLE] });

/** A role and its permissions. */
export const RoleSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    permissions: Type.Array(Type.Object(permissionProperties)),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time", description: "When its permissions last changed." }),
  },
  { examples: [ROLE_EXAMPLE] },
);

/** A role or permission named in a path: its id, or its name (a role) or slug (a permission). */
export const CatalogueRefParams = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: Math.max(LIMITS.scopeLength, MAX_RBAC_NAME_LENGTH) }),
});

export const CatalogueName = Type.String({ minLength: 1, maxLength: MAX_RBAC_NAME_LENGTH });
export const CatalogueDescription = Type.Union([
  Type.String({ maxLength: MAX_RBAC_DESCRIPTION_LENGTH }),
  Type.Null(),
]);
export const PermissionSlug = Type.String({
  minLength: 1,
  maxLength: LIMITS.scopeLength,
  description: "A scope: A-Z a-z 0-9 _ . - : (and `*` alone or as the last segment).",
});
export const RolePermissionSlugs = Type.Array(PermissionSlug, {
  maxItems: MAX_PERMISSIONS_PER_ROLE,
  description: "Permission slugs; those not in the catalogue yet are added to it.",
});

/** The catalogue lists' query: a page, and a substring to search for. */
export const CatalogueListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 50, description: "Page size (1-100)." }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.cursorLength })),
    search: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: "Only entries holding this text (ignoring case).",
      }),
    ),
  },
  { additionalProperties: false },
);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A permission as JSON. */
export function presentPermission(permission: PermissionRecord) {
  return {
    id: permission.id,
    slug: permission.slug,
    name: permission.name,
    description: permission.description,
    createdAt: iso(permission.createdAt),
  };
}

/** A role as JSON. */
export function presentRole(role: RoleRecord) {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions.map(presentPermission),
    createdAt: iso(role.createdAt),
    updatedAt: iso(role.updatedAt),
  };
}
