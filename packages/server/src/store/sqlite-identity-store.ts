import type { IdentityPatch, IdentityQuery, IdentityRecord, IdentityStore } from "./identity-store.js";
import { identitySearchPattern } from "./identity-store.js";
import type { ChangeEffect, EffectsFor } from "./records.js";
import { writeEffects } from "./sqlite-change-effects.js";
import type { SqliteDatabase } from "./sqlite-database.js";

interface IdentityRow {
  id: string;
  external_id: string;
  meta: string;
  rate_limits: string;
  created_at: number;
  updated_at: number;
}

const IDENTITY_COLUMNS = "id, external_id, meta, rate_limits, created_at, updated_at";

/** The SQLite {@link IdentityStore}, sharing its connection (and transactions) with the key store. */
export class SqliteIdentityStore implements IdentityStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async createIdentity(identity: IdentityRecord, effects: readonly ChangeEffect[] = []): Promise<void> {
    this.#database.write(() => {
      this.#database
        .statement(`INSERT INTO identities (${IDENTITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(...rowOf(identity));
      writeEffects(this.#database, effects);
    });
  }

  async ensureIdentity(identity: IdentityRecord, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database
        .statement(
          `INSERT INTO identities (${IDENTITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(...rowOf(identity));
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async findIdentity(id: string): Promise<IdentityRecord | null> {
    return this.#findBy("id", id);
  }

  async findIdentityByExternalId(externalId: string): Promise<IdentityRecord | null> {
    return this.#findBy("external_id", externalId);
  }

  async listIdentities(query: IdentityQuery): Promise<IdentityRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.after !== undefined) {
      where.push("external_id > ?");
      params.push(query.after);
    }
    if (query.search !== undefined) {
      const pattern = identitySearchPattern(query.search);
      where.push("(lower(external_id) LIKE ? ESCAPE '\\' OR lower(id) LIKE ? ESCAPE '\\')");
      params.push(pattern, pattern);
    }
    const sql =
      `SELECT ${IDENTITY_COLUMNS} FROM identities` +
      (where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`) +
      " ORDER BY external_id LIMIT ?";
    return (this.#database.run(sql, "all", ...params, query.limit) as IdentityRow[]).map(toIdentity);
  }

  async updateIdentity(
    id: string,
    patch: IdentityPatch,
    nowMs: number,
    effectsFor?: EffectsFor<IdentityRecord>,
  ): Promise<IdentityRecord | null> {
    return this.#database.write((): IdentityRecord | null => {
      const select = this.#database.statement(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE id = ?`);
      const row = select.get(id) as IdentityRow | undefined;
      if (row === undefined) return null;
      const current = toIdentity(row);
      const next: IdentityRecord = {
        ...current,
        ...(patch.meta === undefined ? {} : { meta: patch.meta }),
        ...(patch.rateLimits === undefined ? {} : { rateLimits: patch.rateLimits }),
        updatedAt: nowMs,
      };
      this.#database
        .statement("UPDATE identities SET meta = ?, rate_limits = ?, updated_at = ? WHERE id = ?")
        .run(JSON.stringify(next.meta), JSON.stringify(next.rateLimits), nowMs, id);
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(next));
      return next;
    });
  }

  async deleteIdentity(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database.statement("DELETE FROM identities WHERE id = ?").run(id);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  #findBy(column: "id" | "external_id", value: string): IdentityRecord | null {
    const row = this.#database.run(
      `SELECT ${IDENTITY_COLUMNS} FROM identities WHERE ${column} = ?`,
      "get",
      value,
    ) as IdentityRow | undefined;
    return row === undefined ? null : toIdentity(row);
  }
}

function rowOf(identity: IdentityRecord): [string, string, string, string, number, number] {
  return [
    identity.id,
    identity.externalId,
    JSON.stringify(identity.meta),
    JSON.stringify(identity.rateLimits),
    identity.createdAt,
    identity.updatedAt,
  ];
}

function toIdentity(row: IdentityRow): IdentityRecord {
  return {
    id: row.id,
    externalId: row.external_id,
    meta: JSON.parse(row.meta) as Record<string, unknown>,
    rateLimits: JSON.parse(row.rate_limits) as IdentityRecord["rateLimits"],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
