import type { IdentityPatch, IdentityQuery, IdentityRecord, IdentityStore } from "./identity-store.js";
import { identitySearchPattern } from "./identity-store.js";
import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase } from "./postgres-database.js";
import type { ChangeEffect, EffectsFor } from "./records.js";

interface IdentityRow {
  id: string;
  external_id: string;
  meta: string;
  rate_limits: string;
  created_at: number;
  updated_at: number;
}

const IDENTITY_COLUMNS = "id, external_id, meta, rate_limits, created_at, updated_at";
const INSERT = `INSERT INTO identities (${IDENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`;

/** The PostgreSQL {@link IdentityStore}, sharing its pool (and transactions) with the key store. */
export class PostgresIdentityStore implements IdentityStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async createIdentity(identity: IdentityRecord, effects: readonly ChangeEffect[] = []): Promise<void> {
    await this.#database.transaction(async (tx) => {
      await tx.query(INSERT, rowOf(identity));
      await writeEffects(tx, effects);
    });
  }

  async ensureIdentity(identity: IdentityRecord, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(`${INSERT} ON CONFLICT DO NOTHING`, rowOf(identity));
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
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
      params.push(query.after);
      where.push(`external_id > $${params.length}`);
    }
    if (query.search !== undefined) {
      params.push(identitySearchPattern(query.search));
      const p = `$${params.length}`;
      where.push(`(lower(external_id) LIKE ${p} ESCAPE '\\' OR lower(id) LIKE ${p} ESCAPE '\\')`);
    }
    params.push(query.limit);
    const sql =
      `SELECT ${IDENTITY_COLUMNS} FROM identities` +
      (where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`) +
      ` ORDER BY external_id LIMIT $${params.length}`;
    const { rows } = await this.#database.query<IdentityRow>(sql, params);
    return rows.map(toIdentity);
  }

  async updateIdentity(
    id: string,
    patch: IdentityPatch,
    nowMs: number,
    effectsFor?: EffectsFor<IdentityRecord>,
  ): Promise<IdentityRecord | null> {
    return this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<IdentityRow>(
        `SELECT ${IDENTITY_COLUMNS} FROM identities WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (rows[0] === undefined) return null;
      const current = toIdentity(rows[0]);
      const next: IdentityRecord = {
        ...current,
        ...(patch.meta === undefined ? {} : { meta: patch.meta }),
        ...(patch.rateLimits === undefined ? {} : { rateLimits: patch.rateLimits }),
        updatedAt: nowMs,
      };
      await tx.query("UPDATE identities SET meta = $2, rate_limits = $3, updated_at = $4 WHERE id = $1", [
        id,
        JSON.stringify(next.meta),
        JSON.stringify(next.rateLimits),
        nowMs,
      ]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(next));
      return next;
    });
  }

  async deleteIdentity(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("DELETE FROM identities WHERE id = $1", [id]);
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
    });
  }

  async #findBy(column: "id" | "external_id", value: string): Promise<IdentityRecord | null> {
    const { rows } = await this.#database.query<IdentityRow>(
      `SELECT ${IDENTITY_COLUMNS} FROM identities WHERE ${column} = $1`,
      [value],
    );
    return rows[0] === undefined ? null : toIdentity(rows[0]);
  }
}

function rowOf(identity: IdentityRecord): unknown[] {
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
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
