import { createHash } from "node:crypto";

/** Most roles one key may hold. */
export const MAX_ROLES_PER_KEY = 25;
/** Most permissions one role may grant. */
export const MAX_PERMISSIONS_PER_ROLE = 100;
/** Longest name of a role or a permission. */
export const MAX_RBAC_NAME_LENGTH = 128;
/** Longest description of a role or a permission. */
export const MAX_RBAC_DESCRIPTION_LENGTH = 500;

/**
 * The id of the permission with this slug: `perm_` + 16 hex digits of its SHA-256. Derived, not generated, so a
 * permission has the same id whether it was defined in the catalogue or only granted to a key as a scope.
 */
export function permissionId(slug: string): string {
  return `perm_${createHash("sha256").update(slug).digest("hex").slice(0, 16)}`;
}

/** A role as verification needs it: its name and the slugs of the permissions it grants. */
export interface CataloguedRole {
  id: string;
  name: string;
  /** Permission slugs, each a valid scope. */
  permissions: readonly string[];
}

/** What a key's roles add to its own scopes, against the roles that exist now. */
export interface ResolvedRoles {
  /** The ids of the key's roles that still exist, in the key's order. */
  ids: string[];
  /** Their names, in the same order. */
  names: string[];
  /** The key's scopes, then every permission of its roles not among them: what verification checks. */
  scopes: string[];
}

/**
 * Resolves a key's role ids against the catalogue: a role that no longer exists grants nothing and is left out
 * (role ids are never reused, so a deleted role's id can never come back to life on a key that still lists it).
 */
export function resolveRoles(
  scopes: readonly string[],
  roleIds: readonly string[],
  catalogue: ReadonlyMap<string, CataloguedRole>,
): ResolvedRoles {
  const ids: string[] = [];
  const names: string[] = [];
  const granted = new Set(scopes);
  for (const id of roleIds) {
    const role = catalogue.get(id);
    if (role === undefined) continue;
    ids.push(id);
    names.push(role.name);
    for (const slug of role.permissions) granted.add(slug);
  }
  return { ids, names, scopes: [...granted] };
}
