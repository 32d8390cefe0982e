import { sealedValueSql } from "./sealed-value-sql.js";
import type { SealedColumn, SealedRow, SealedValueStore } from "./sealed-value-store.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/** Sealed values in the SQLite database the other stores share. */
export class SqliteSealedValueStore implements SealedValueStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async readSealedValues(column: SealedColumn, afterId: string | null, limit: number): Promise<SealedRow[]> {
    const sql = sealedValueSql(column, "sqlite");
    return this.#database.run(sql.read, "all", ...sql.readParams(afterId, limit)) as SealedRow[];
  }

  async countSealedValues(column: SealedColumn): Promise<number> {
    const sql = sealedValueSql(column, "sqlite");
    return Number((this.#database.run(sql.count, "get", ...sql.countParams()) as { n: number }).n);
  }

  async replaceSealedValue(
    column: SealedColumn,
    id: string,
    expected: string,
    next: string,
  ): Promise<boolean> {
    const sql = sealedValueSql(column, "sqlite");
    const result = this.#database.run(sql.replace, "run", ...sql.replaceParams(id, expected, next)) as {
      changes: number;
    };
    return result.changes > 0;
  }
}
