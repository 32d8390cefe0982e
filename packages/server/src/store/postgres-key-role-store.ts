import type {
  CatalogueQuery,
  KeyRoleStore,
  NewRole,
  PermissionRecord,
  RoleRecord,
} from "./key-role-store.js";
import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase, Queryable } from "./postgres-database.js";
import {
  catalogueWhere,
  foldCatalogue,
  PERMISSION_COLUMNS,
  type PermissionRow,
  ROLE_COLUMNS,
  ROLE_PERMISSIONS,
  type RoleRow,
  toPermission,
  toRole,
} from "./rbac-rows.js";
import type { ChangeEffect, EffectsFor } from "./records.js";

/** The PostgreSQL {@link KeyRoleStore}, sharing its pool (and transactions) with the key store. */
export class PostgresKeyRoleStore implements KeyRoleStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async createPermission(permission: PermissionRecord, effects: readonly ChangeEffect[] = []): Promise<void> {
    await this.#database.transaction(async (tx) => {
      await tx.query(`INSERT INTO rbac_permissions (${PERMISSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [
        permission.id,
        permission.slug,
        permission.name,
        permission.description,
        permission.createdAt,
      ]);
      await writeEffects(tx, effects);
    });
  }

  async findPermission(id: string): Promise<PermissionRecord | null> {
    const { rows } = await this.#database.query<PermissionRow>(
      `SELECT ${PERMISSION_COLUMNS} FROM rbac_permissions WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? null : toPermission(rows[0]);
  }

  async listPermissions(query: CatalogueQuery): Promise<PermissionRecord[]> {
    const { where, params } = catalogueWhere("postgres", query, ["id", "slug", "name", "description"]);
    params.push(query.limit);
    const { rows } = await this.#database.query<PermissionRow>(
      `SELECT ${PERMISSION_COLUMNS} FROM rbac_permissions WHERE ${where} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toPermission);
  }

  async deletePermission(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("DELETE FROM rbac_permissions WHERE id = $1", [id]);
      if ((rowCount ?? 0) > 0) await writeEffects(tx, effects);
      return (rowCount ?? 0) > 0;
    });
  }

  async createRole(role: NewRole, effectsFor?: EffectsFor<RoleRecord>): Promise<RoleRecord> {
    return this.#database.transaction(async (tx) => {
      await tx.query(`INSERT INTO rbac_roles (${ROLE_COLUMNS}) VALUES ($1, $2, $3, $4, $4)`, [
        role.id,
        role.name,
        role.description,
        role.createdAt,
      ]);
      await linkPermissions(tx, role.id, role.permissions);
      return (await readAndWrite(tx, role.id, effectsFor)) as RoleRecord;
    });
  }

  async findRole(id: string): Promise<RoleRecord | null> {
    return readRole(this.#database, "id", id);
  }

  async findRoleByName(name: string): Promise<RoleRecord | null> {
    return readRole(this.#database, "name", name);
  }

  async listRoles(query: CatalogueQuery): Promise<RoleRecord[]> {
    const { where, params } = catalogueWhere("postgres", query, ["id", "name", "description"]);
    params.push(query.limit);
    const { rows } = await this.#database.query<RoleRow>(
      `SELECT ${ROLE_COLUMNS} FROM rbac_roles WHERE ${where} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    if (rows.length === 0) return [];
    const links = await this.#database.query<PermissionRow & { role_id: string }>(
      `${ROLE_PERMISSIONS} WHERE rp.role_id = ANY($1::text[]) ORDER BY p.slug`,
      [rows.map((r) => r.id)],
    );
    return rows.map((row) => toRole(row, links.rows));
  }

  async setRolePermissions(
    id: string,
    permissions: readonly PermissionRecord[],
    nowMs: number,
    effectsFor?: EffectsFor<RoleRecord>,
  ): Promise<RoleRecord | null> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("UPDATE rbac_roles SET updated_at = $2 WHERE id = $1", [id, nowMs]);
      if ((rowCount ?? 0) === 0) return null;
      await tx.query("DELETE FROM rbac_role_permissions WHERE role_id = $1", [id]);
      await linkPermissions(tx, id, permissions);
      return readAndWrite(tx, id, effectsFor);
    });
  }

  async deleteRole(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("DELETE FROM rbac_roles WHERE id = $1", [id]);
      if ((rowCount ?? 0) > 0) await writeEffects(tx, effects);
      return (rowCount ?? 0) > 0;
    });
  }

  async loadRoleCatalogue(): Promise<{ id: string; name: string; permissions: string[] }[]> {
    const { rows } = await this.#database.query<{ id: string; name: string; slug: string | null }>(
      `SELECT r.id, r.name, p.slug FROM rbac_roles r
        LEFT JOIN rbac_role_permissions rp ON rp.role_id = r.id
        LEFT JOIN rbac_permissions p ON p.id = rp.permission_id
        ORDER BY r.id, p.slug`,
    );
    return foldCatalogue(rows);
  }
}

/** Inside a transaction: inserts the permissions that do not exist yet and links them all to the role. */
async function linkPermissions(
  tx: Queryable,
  roleId: string,
  permissions: readonly PermissionRecord[],
): Promise<void> {
  if (permissions.length === 0) return;
  await tx.query(
    `INSERT INTO rbac_permissions (${PERMISSION_COLUMNS})
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
      ON CONFLICT DO NOTHING`,
    [
      permissions.map((p) => p.id),
      permissions.map((p) => p.slug),
      permissions.map((p) => p.name),
      permissions.map((p) => p.description),
      permissions.map((p) => p.createdAt),
    ],
  );
  await tx.query(
    `INSERT INTO rbac_role_permissions (role_id, permission_id)
      SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [roleId, permissions.map((p) => p.id)],
  );
}

async function readRole(db: Queryable, column: "id" | "name", value: string): Promise<RoleRecord | null> {
  const { rows } = await db.query<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM rbac_roles WHERE ${column} = $1`, [
    value,
  ]);
  const row = rows[0];
  if (row === undefined) return null;
  const links = await db.query<PermissionRow & { role_id: string }>(
    `${ROLE_PERMISSIONS} WHERE rp.role_id = $1 ORDER BY p.slug`,
    [row.id],
  );
  return toRole(row, links.rows);
}

async function readAndWrite(
  tx: Queryable,
  id: string,
  effectsFor: EffectsFor<RoleRecord> | undefined,
): Promise<RoleRecord | null> {
  const role = await readRole(tx, "id", id);
  if (role !== null && effectsFor !== undefined) await writeEffects(tx, effectsFor(role));
  return role;
}
