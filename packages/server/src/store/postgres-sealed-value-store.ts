import type { PostgresDatabase } from "./postgres-database.js";
import { sealedValueSql } from "./sealed-value-sql.js";
import type { SealedColumn, SealedRow, SealedValueStore } from "./sealed-value-store.js";

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

  async replaceSealedValue(
    column: SealedColumn,
    id: string,
    expected: string,
    next: string,
  ): Promise<boolean> {
    const sql = sealedValueSql(column, "postgres");
    const { rowCount } = await this.#database.query(sql.replace, sql.replaceParams(id, expected, next));
    return rowCount > 0;
  }
}
