import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase } from "./postgres-database.js";
import { projectPageSql } from "./project-page-sql.js";
import type { ChangeEffect, EffectsFor } from "./records.js";
import type {
  NewSecret,
  SealedSecretRecord,
  SecretQuery,
  SecretRecord,
  SecretStore,
} from "./secret-store.js";

interface SecretRow {
  id: string;
  project_id: string;
  name: string;
  created_at: number;
  updated_at: number;
  created_by: string | null;
  last_revealed_at: number | null;
}

const SECRET_COLUMNS = "id, project_id, name, created_at, updated_at, created_by, last_revealed_at";

/** The PostgreSQL {@link SecretStore}, sharing its pool (and transactions) with the key store. */
export class PostgresSecretStore implements SecretStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async createSecret(secret: NewSecret, effects: readonly ChangeEffect[] = []): Promise<void> {
    const r = secret.record;
    await this.#database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO secrets (${SECRET_COLUMNS}, sealed_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          r.id,
          r.projectId,
          r.name,
          r.createdAt,
          r.updatedAt,
          r.createdBy,
          r.lastRevealedAt,
          secret.sealedValue,
        ],
      );
      await writeEffects(tx, effects);
    });
  }

  async findSecret(id: string): Promise<SecretRecord | null> {
    const { rows } = await this.#database.query<SecretRow>(
      `SELECT ${SECRET_COLUMNS} FROM secrets WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? null : toSecret(rows[0]);
  }

  async listSecrets(query: SecretQuery): Promise<SecretRecord[]> {
    const page = projectPageSql("postgres", "secrets", SECRET_COLUMNS, query);
    if (page === null) return [];
    const { rows } = await this.#database.query<SecretRow>(page.sql, page.params);
    return rows.map(toSecret);
  }

  async updateSecretValue(
    id: string,
    sealedValue: string,
    nowMs: number,
    effectsFor?: EffectsFor<SecretRecord>,
  ): Promise<SecretRecord | null> {
    return this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<SecretRow>(
        `UPDATE secrets SET sealed_value = $2, updated_at = $3 WHERE id = $1 RETURNING ${SECRET_COLUMNS}`,
        [id, sealedValue, nowMs],
      );
      if (rows[0] === undefined) return null;
      const secret = toSecret(rows[0]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(secret));
      return secret;
    });
  }

  async deleteSecret(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("DELETE FROM secrets WHERE id = $1", [id]);
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
    });
  }

  async readSealedSecret(id: string): Promise<SealedSecretRecord | null> {
    const { rows } = await this.#database.query<SecretRow & { sealed_value: string }>(
      `SELECT ${SECRET_COLUMNS}, sealed_value FROM secrets WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? null : { record: toSecret(row), sealedValue: row.sealed_value };
  }

  async markSecretRevealed(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<SecretRecord>,
  ): Promise<SecretRecord | null> {
    return this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<SecretRow>(
        `UPDATE secrets SET last_revealed_at = $2 WHERE id = $1 RETURNING ${SECRET_COLUMNS}`,
        [id, nowMs],
      );
      if (rows[0] === undefined) return null;
      const secret = toSecret(rows[0]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(secret));
      return secret;
    });
  }

  async readKeyCopy(keyId: string): Promise<string | null> {
    const { rows } = await this.#database.query<{ sealed_key: string }>(
      "SELECT sealed_key FROM key_recoveries WHERE key_id = $1",
      [keyId],
    );
    return rows[0]?.sealed_key ?? null;
  }

  async markKeyCopyRevealed(
    keyId: string,
    nowMs: number,
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        "UPDATE key_recoveries SET last_revealed_at = $2 WHERE key_id = $1",
        [keyId, nowMs],
      );
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
    });
  }
}

function toSecret(row: SecretRow): SecretRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    lastRevealedAt: row.last_revealed_at,
  };
}
