import { MAX_RBAC_DESCRIPTION_LENGTH, MAX_RBAC_NAME_LENGTH } from "@keyward/core/key-roles.js";
import { Type } from "typebox";
import type { PermissionRecord } from "../../../../store/key-role-store.js";
import { LIMITS } from "../../../schemas.js";

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example catalogue permission, for the OpenAPI document. */
export const PERMISSION_EXAMPLE = {
  id: "perm_a2f9cebad333a0a7",
  slug: "documents.read",
  name: "Read documents",
  description: "Reads any document of the account.",
  createdAt: exampleTime,
};

/** The fields of a permission as the API shows it (also inside a role). */
export const PermissionProperties = {
  id: Type.String({ description: "`perm_` + 16 hex digits of the slug's SHA-256." }),
  slug: Type.String({ description: "What keys hold and queries name (a scope)." }),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: "date-time" }),
};

/** A permission of the catalogue. */
export const PermissionSchema = Type.Object(PermissionProperties, { examples: [PERMISSION_EXAMPLE] });

// The catalogue's shared request schemas: /v1/roles uses them too.

/** A role or permission named in a path: its id, or its name (a role) or slug (a permission). */
export const CatalogueRefParams = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: Math.max(LIMITS.scopeLength, MAX_RBAC_NAME_LENGTH) }),
});

/** The name of a permission or role. */
export const CatalogueName = Type.String({ minLength: 1, maxLength: MAX_RBAC_NAME_LENGTH });

/** The description of a permission or role (null: none). */
export const CatalogueDescription = Type.Union([
  Type.String({ maxLength: MAX_RBAC_DESCRIPTION_LENGTH }),
  Type.Null(),
]);

/** A permission's slug: a scope. */
export const PermissionSlug = Type.String({
  minLength: 1,
  maxLength: LIMITS.scopeLength,
  description: "A scope: A-Z a-z 0-9 _ . - : (and `*` alone or as the last segment).",
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

/** A permission as JSON. */
export function presentPermission(permission: PermissionRecord) {
  return {
    id: permission.id,
    slug: permission.slug,
    name: permission.name,
    description: permission.description,
    createdAt: new Date(permission.createdAt).toISOString(),
  };
}
