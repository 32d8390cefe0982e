import { projectPageSql } from "./project-page-sql.js";
import type { ChangeEffect, EffectsFor } from "./records.js";
import type {
  NewSecret,
  SealedSecretRecord,
  SecretQuery,
  SecretRecord,
  SecretStore,
} from "./secret-store.js";
import { writeEffects } from "./sqlite-change-effects.js";
import type { SqliteDatabase } from "./sqlite-database.js";

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

/** The SQLite {@link SecretStore}, sharing its connection (and transactions) with the key store. */
export class SqliteSecretStore implements SecretStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async createSecret(secret: NewSecret, effects: readonly ChangeEffect[] = []): Promise<void> {
    const r = secret.record;
    this.#database.write(() => {
      this.#database
        .statement(`INSERT INTO secrets (${SECRET_COLUMNS}, sealed_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          r.id,
          r.projectId,
          r.name,
          r.createdAt,
          r.updatedAt,
          r.createdBy,
          r.lastRevealedAt,
          secret.sealedValue,
        );
      writeEffects(this.#database, effects);
    });
  }

  async findSecret(id: string): Promise<SecretRecord | null> {
    const row = this.#database.run(`SELECT ${SECRET_COLUMNS} FROM secrets WHERE id = ?`, "get", id) as
      | SecretRow
      | undefined;
    return row === undefined ? null : toSecret(row);
  }

  async listSecrets(query: SecretQuery): Promise<SecretRecord[]> {
    const page = projectPageSql("sqlite", "secrets", SECRET_COLUMNS, query);
    if (page === null) return [];
    return (this.#database.run(page.sql, "all", ...page.params) as SecretRow[]).map(toSecret);
  }

  async updateSecretValue(
    id: string,
    sealedValue: string,
    nowMs: number,
    effectsFor?: EffectsFor<SecretRecord>,
  ): Promise<SecretRecord | null> {
    return this.#database.write((): SecretRecord | null => {
      const { changes } = this.#database
        .statement("UPDATE secrets SET sealed_value = ?, updated_at = ? WHERE id = ?")
        .run(sealedValue, nowMs, id);
      return changes === 0 ? null : this.#readAndWrite(id, effectsFor);
    });
  }

  async deleteSecret(id: string, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database.statement("DELETE FROM secrets WHERE id = ?").run(id);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async readSealedSecret(id: string): Promise<SealedSecretRecord | null> {
    const row = this.#database.run(
      `SELECT ${SECRET_COLUMNS}, sealed_value FROM secrets WHERE id = ?`,
      "get",
      id,
    ) as (SecretRow & { sealed_value: string }) | undefined;
    return row === undefined ? null : { record: toSecret(row), sealedValue: row.sealed_value };
  }

  async markSecretRevealed(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<SecretRecord>,
  ): Promise<SecretRecord | null> {
    return this.#database.write((): SecretRecord | null => {
      const { changes } = this.#database
        .statement("UPDATE secrets SET last_revealed_at = ? WHERE id = ?")
        .run(nowMs, id);
      return changes === 0 ? null : this.#readAndWrite(id, effectsFor);
    });
  }

  async readKeyCopy(keyId: string): Promise<string | null> {
    const row = this.#database.run("SELECT sealed_key FROM key_recoveries WHERE key_id = ?", "get", keyId) as
      | { sealed_key: string }
      | undefined;
    return row?.sealed_key ?? null;
  }

  async markKeyCopyRevealed(
    keyId: string,
    nowMs: number,
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database
        .statement("UPDATE key_recoveries SET last_revealed_at = ? WHERE key_id = ?")
        .run(nowMs, keyId);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  /** Inside a write: the secret as it now is, and the effects of the change that made it so. */
  #readAndWrite(id: string, effectsFor: EffectsFor<SecretRecord> | undefined): SecretRecord | null {
    const row = this.#database.statement(`SELECT ${SECRET_COLUMNS} FROM secrets WHERE id = ?`).get(id) as
      | SecretRow
      | undefined;
    if (row === undefined) return null;
    const secret = toSecret(row);
    if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(secret));
    return secret;
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
