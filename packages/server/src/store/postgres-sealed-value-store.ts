import type { PostgresDatabase } from "./postgres-database.js";
import { sealedValueSql } from "./sealed-value-sql.js";
import type { SealedColumn, SealedReplacement, SealedRow, SealedValueStore } from "./sealed-value-store.js";

/** Sealed values in the PostgreSQL database the other stores share. */
export class PostgresSealedValueStore implements SealedValueStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async readSealedValues(column: SealedColumn, afterId: string | null, limit: number): Promise<SealedRow[]> {
    const sql = sealedValueSql(column, "postgres");
    const { rows } = await this.#database.query<SealedRow>(sql.read, sql.readParams(afterId, limit));
    return rows;
  }

  async countSealedValues(column: SealedColumn): Promise<number> {
    const sql = sealedValueSql(column, "postgres");
    const { rows } = await this.#database.query<{ n: string }>(sql.count, sql.countParams());
    return Number(rows[0]?.n ?? 0);
  }

  async replaceSealedValues(
    column: SealedColumn,
    replacements: readonly SealedReplacement[],
  ): Promise<number> {
    if (replacements.length === 0) return 0;
    const sql = sealedValueSql(column, "postgres");
    // One transaction per batch: one commit instead of one per value.
    return this.#database.transaction(async (tx) => {
      let replaced = 0;
      for (const r of replacements) {
        replaced += (await tx.query(sql.replace, sql.replaceParams(r.id, r.expected, r.next))).rowCount;
      }
      return replaced;
    });
  }
}
