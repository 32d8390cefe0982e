import { sealedValueSql } from "./sealed-value-sql.js";
import type { SealedColumn, SealedReplacement, SealedRow, SealedValueStore } from "./sealed-value-store.js";
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

  async replaceSealedValues(
    column: SealedColumn,
    replacements: readonly SealedReplacement[],
  ): Promise<number> {
    if (replacements.length === 0) return 0;
    const sql = sealedValueSql(column, "sqlite");
    const replace = this.#database.statement(sql.replace);
    // One write transaction per batch: one lock and one commit instead of one per value.
    return this.#database.write(() => {
      let replaced = 0;
      for (const r of replacements)
        replaced += replace.run(...sql.replaceParams(r.id, r.expected, r.next)).changes;
      return replaced;
    });
  }
}
