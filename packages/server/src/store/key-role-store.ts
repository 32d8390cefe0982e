import type { ChangeEffect, EffectsFor } from "./records.js";

/** A permission of the instance's catalogue; its id is `permissionId(slug)` (see core key-roles.ts). */
export interface PermissionRecord {
  id: string;
  /** What keys hold and queries name: a valid scope, unique. */
  slug: string;
  name: string;
  description: string | null;
  createdAt: number;
}

/** A role: a named set of catalogue permissions that keys can hold. Times are epoch milliseconds. */
export interface RoleRecord {
  id: string;
  /** Unique. */
  name: string;
  description: string | null;
  /** Its permissions, in slug order. */
  permissions: PermissionRecord[];
  createdAt: number;
  updatedAt: number;
}

/** Paging and a filter for the catalogue's lists; `after` is the last id of the previous page. */
export interface CatalogueQuery {
  limit: number;
  after?: string;
  /** Only entries whose id, name, slug or description holds this text, ignoring case. */
  search?: string;
}

/** A new role and its permissions: `permissions` are linked, and inserted first where missing. */
export interface NewRole {
  id: string;
  name: string;
  description: string | null;
  permissions: readonly PermissionRecord[];
  createdAt: number;
}

/**
 * The instance-wide catalogue of permissions and roles that keys can hold (keys hold role ids on their own row).
 * Changes write their effects (audit entries) in their own transaction; a slug or role name used twice is a
 * CONFLICT. Every implementation passes `key-role-store.conformance.ts`.
 */
export interface KeyRoleStore {
  /** Inserts a permission; CONFLICT when its slug (so its id) exists. */
  createPermission(permission: PermissionRecord, effects?: readonly ChangeEffect[]): Promise<void>;
  findPermission(id: string): Promise<PermissionRecord | null>;
  /** Permissions in id order, at most `limit`. */
  listPermissions(query: CatalogueQuery): Promise<PermissionRecord[]>;
  /** Deletes a permission and takes it out of every role; false (no effects written) when none has that id. */
  deletePermission(id: string, effects?: readonly ChangeEffect[]): Promise<boolean>;

  /** Inserts a role, the permissions it names that do not exist yet, and its links, in one transaction. */
  createRole(role: NewRole, effectsFor?: EffectsFor<RoleRecord>): Promise<RoleRecord>;
  findRole(id: string): Promise<RoleRecord | null>;
  findRoleByName(name: string): Promise<RoleRecord | null>;
  /** Roles in id order (creation order), at most `limit`. */
  listRoles(query: CatalogueQuery): Promise<RoleRecord[]>;
  /**
   * Replaces a role's permissions (inserting those that do not exist yet); null (no effects) when no role has
   * that id.
   */
  setRolePermissions(
    id: string,
    permissions: readonly PermissionRecord[],
    nowMs: number,
    effectsFor?: EffectsFor<RoleRecord>,
  ): Promise<RoleRecord | null>;
  /**
   * Deletes a role; false (no effects written) when none has that id. Keys keep its id in their lists, where it
   * grants nothing: role ids are never reused.
   */
  deleteRole(id: string, effects?: readonly ChangeEffect[]): Promise<boolean>;
  /** Every role with its permission slugs, for the in-memory catalogue verification reads. */
  loadRoleCatalogue(): Promise<{ id: string; name: string; permissions: string[] }[]>;
}
