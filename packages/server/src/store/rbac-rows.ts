import type { CatalogueQuery, PermissionRecord, RoleRecord } from "./key-role-store.js";

// The rows of the permission catalogue, one definition for both dialects, whose columns are the same.

/** A row of `rbac_permissions`. */
export interface PermissionRow {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  created_at: number | string;
}

/** A row of `rbac_roles`. */
export interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  created_at: number | string;
  updated_at: number | string;
}

export const PERMISSION_COLUMNS = "id, slug, name, description, created_at";
export const ROLE_COLUMNS = "id, name, description, created_at, updated_at";

/** A row as its record (PostgreSQL hands BIGINT over as a string). */
export function toPermission(row: PermissionRow): PermissionRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    createdAt: Number(row.created_at),
  };
}

/** `%text%` for a LIKE with `\` as its escape, lowercased: the search is a substring match ignoring case. */
export function likePattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE clause and parameters of a catalogue page: ids after `after`, and the search over `columns`. */
export function catalogueWhere(
  dialect: "sqlite" | "postgres",
  query: CatalogueQuery,
  columns: readonly string[],
): { where: string; params: unknown[] } {
  const params: unknown[] = [query.after ?? ""];
  const clauses = [`id > ${dialect === "sqlite" ? "?" : "$1"}`];
  if (query.search !== undefined && query.search !== "") {
    const pattern = likePattern(query.search);
    const matches = columns.map((c) => {
      params.push(pattern);
      const p = dialect === "sqlite" ? "?" : `$${params.length}`;
      return `lower(COALESCE(${c}, '')) LIKE ${p} ESCAPE '\\'`;
    });
    clauses.push(`(${matches.join(" OR ")})`);
  }
  return { where: clauses.join(" AND "), params };
}

/** A role row with its permissions among `links` (rows of any roles, in slug order). */
export function toRole(row: RoleRow, links: readonly (PermissionRow & { role_id: string })[]): RoleRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: links.filter((l) => l.role_id === row.id).map(toPermission),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Rows of roles joined with their permission slugs (a role without any: one row, slug null), folded. */
export function foldCatalogue(
  rows: readonly { id: string; name: string; slug: string | null }[],
): { id: string; name: string; permissions: string[] }[] {
  const roles = new Map<string, { id: string; name: string; permissions: string[] }>();
  for (const row of rows) {
    let role = roles.get(row.id);
    if (role === undefined) {
      role = { id: row.id, name: row.name, permissions: [] };
      roles.set(row.id, role);
    }
    if (row.slug !== null) role.permissions.push(row.slug);
  }
  return [...roles.values()];
}

/** Each role's permissions, joined (both dialects); callers add their WHERE and ORDER BY. */
export const ROLE_PERMISSIONS = `SELECT rp.role_id, p.id, p.slug, p.name, p.description, p.created_at
  FROM rbac_role_permissions rp JOIN rbac_permissions p ON p.id = rp.permission_id`;
