import type {
  CatalogueQuery,
  KeyRoleStore,
  NewRole,
  PermissionRecord,
  RoleRecord,
} from "./key-role-store.js";
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
import { writeEffects } from "./sqlite-change-effects.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/** The SQLite {@link KeyRoleStore}, sharing its connection (and transactions) with the key store. */
export class SqliteKeyRoleStore implements KeyRoleStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async createPermission(permission: PermissionRecord, effects: readonly ChangeEffect[] = []): Promise<void> {
    this.#database.write(() => {
      this.#database
        .statement(`INSERT INTO rbac_permissions (${PERMISSION_COLUMNS}) VALUES (?, ?, ?, ?, ?)`)
        .run(permission.id, permission.slug, permission.name, permission.description, permission.createdAt);
      writeEffects(this.#database, effects);
    });
  }

  async findPermission(id: string): Promise<PermissionRecord | null> {
    const row = this.#database.run(
      `SELECT ${PERMISSION_COLUMNS} FROM rbac_permissions WHERE id = ?`,
      "get",
      id,
    ) as PermissionRow | undefined;
    return row === undefined ? null : toPermission(row);
  }

  async listPermissions(query: CatalogueQuery): Promise<PermissionRecord[]> {
    const { where, params } = catalogueWhere("sqlite", query, ["id", "slug", "name", "description"]);
    const sql = `SELECT ${PERMISSION_COLUMNS} FROM rbac_permissions WHERE ${where} ORDER BY id LIMIT ?`;
    return (this.#database.run(sql, "all", ...params, query.limit) as PermissionRow[]).map(toPermission);
  }

  async deletePermission(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.write(() => {
      // The links go with it (ON DELETE CASCADE).
      const { changes } = this.#database.statement("DELETE FROM rbac_permissions WHERE id = ?").run(id);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async createRole(role: NewRole, effectsFor?: EffectsFor<RoleRecord>): Promise<RoleRecord> {
    return this.#database.write((): RoleRecord => {
      this.#database
        .statement(`INSERT INTO rbac_roles (${ROLE_COLUMNS}) VALUES (?, ?, ?, ?, ?)`)
        .run(role.id, role.name, role.description, role.createdAt, role.createdAt);
      this.#linkPermissions(role.id, role.permissions);
      return this.#readAndWrite(role.id, effectsFor) as RoleRecord;
    });
  }

  async findRole(id: string): Promise<RoleRecord | null> {
    return this.#readRole("id", id);
  }

  async findRoleByName(name: string): Promise<RoleRecord | null> {
    return this.#readRole("name", name);
  }

  async listRoles(query: CatalogueQuery): Promise<RoleRecord[]> {
    const { where, params } = catalogueWhere("sqlite", query, ["id", "name", "description"]);
    const sql = `SELECT ${ROLE_COLUMNS} FROM rbac_roles WHERE ${where} ORDER BY id LIMIT ?`;
    const rows = this.#database.run(sql, "all", ...params, query.limit) as RoleRow[];
    if (rows.length === 0) return [];
    const links = this.#database.run(
      `${ROLE_PERMISSIONS} WHERE rp.role_id IN (${rows.map(() => "?").join(", ")}) ORDER BY p.slug`,
      "all",
      ...rows.map((r) => r.id),
    ) as (PermissionRow & { role_id: string })[];
    return rows.map((row) => toRole(row, links));
  }

  async setRolePermissions(
    id: string,
    permissions: readonly PermissionRecord[],
    nowMs: number,
    effectsFor?: EffectsFor<RoleRecord>,
  ): Promise<RoleRecord | null> {
    return this.#database.write((): RoleRecord | null => {
      const { changes } = this.#database
        .statement("UPDATE rbac_roles SET updated_at = ? WHERE id = ?")
        .run(nowMs, id);
      if (changes === 0) return null;
      this.#database.statement("DELETE FROM rbac_role_permissions WHERE role_id = ?").run(id);
      this.#linkPermissions(id, permissions);
      return this.#readAndWrite(id, effectsFor);
    });
  }

  async deleteRole(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database.statement("DELETE FROM rbac_roles WHERE id = ?").run(id);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async loadRoleCatalogue(): Promise<{ id: string; name: string; permissions: string[] }[]> {
    const rows = this.#database.run(
      `SELECT r.id, r.name, p.slug FROM rbac_roles r
        LEFT JOIN rbac_role_permissions rp ON rp.role_id = r.id
        LEFT JOIN rbac_permissions p ON p.id = rp.permission_id
        ORDER BY r.id, p.slug`,
      "all",
    ) as { id: string; name: string; slug: string | null }[];
    return foldCatalogue(rows);
  }

  /** Inside a write: inserts the permissions that do not exist yet and links them all to the role. */
  #linkPermissions(roleId: string, permissions: readonly PermissionRecord[]): void {
    const insert = this.#database.statement(
      `INSERT INTO rbac_permissions (${PERMISSION_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const link = this.#database.statement(
      "INSERT INTO rbac_role_permissions (role_id, permission_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
    );
    for (const p of permissions) {
      insert.run(p.id, p.slug, p.name, p.description, p.createdAt);
      link.run(roleId, p.id);
    }
  }

  #readRole(column: "id" | "name", value: string): RoleRecord | null {
    const row = this.#database
      .statement(`SELECT ${ROLE_COLUMNS} FROM rbac_roles WHERE ${column} = ?`)
      .get(value) as RoleRow | undefined;
    if (row === undefined) return null;
    const links = this.#database
      .statement(`${ROLE_PERMISSIONS} WHERE rp.role_id = ? ORDER BY p.slug`)
      .all(row.id) as (PermissionRow & { role_id: string })[];
    return toRole(row, links);
  }

  /** Inside a write: the role as it now is, and the effects of the change that made it so. */
  #readAndWrite(id: string, effectsFor: EffectsFor<RoleRecord> | undefined): RoleRecord | null {
    const role = this.#readRole("id", id);
    if (role !== null && effectsFor !== undefined) writeEffects(this.#database, effectsFor(role));
    return role;
  }
}
