import type Database from "better-sqlite3";
import { type SqliteDatabase, translate } from "./sqlite-database.js";
import {
  type CanonicalRow,
  type CanonicalValue,
  type CopyTable,
  onConflictClause,
  quoteIdentifier,
  toCanonical,
} from "./store-copy-tables.js";
import type { TableIo, TableReader } from "./store-table-io.js";

/** {@link TableIo} over one SQLite database (`keyward store copy`). */
export class SqliteTableIo implements TableIo {
  readonly dialect = "SQLite";
  readonly #database: SqliteDatabase;
  /** Statements of this class only: they read integers as bigint, which the stores' cached statements do not. */
  readonly #statements = new Map<string, Database.Statement>();

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async migrate(nowMs: number): Promise<void> {
    this.#database.migrate(nowMs);
  }

  async schemaVersion(): Promise<number> {
    const statement = this.#statement("SELECT max(version) FROM schema_migrations");
    const row = translate(() => statement.raw(true).get()) as [bigint | null];
    return Number(row[0] ?? 0n);
  }

  async listColumns(): Promise<Map<string, string[]>> {
    const rows = this.#statement(
      `SELECT m.name AS table_name, p.name AS column_name
         FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p
        WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
        ORDER BY m.name, p.cid`,
    ).all() as { table_name: string; column_name: string }[];
    const tables = new Map<string, string[]>();
    for (const row of rows) {
      const columns = tables.get(row.table_name) ?? [];
      columns.push(row.column_name);
      tables.set(row.table_name, columns);
    }
    return tables;
  }

  async read<T>(work: (reader: TableReader) => Promise<T>): Promise<T> {
    const db = this.#database.db;
    // A deferred transaction: its first SELECT fixes the snapshot (WAL), and writers elsewhere are not blocked.
    translate(() => db.exec("BEGIN"));
    try {
      return await work({
        countRows: async (table) => {
          const count = this.#statement(`SELECT count(*) FROM ${quoteIdentifier(table.name)}`);
          const row = translate(() => count.raw(true).get()) as [bigint];
          return Number(row[0]);
        },
        readRows: async (table, after, limit) => this.#readRows(table, after, limit),
      });
    } finally {
      if (db.inTransaction) translate(() => db.exec("COMMIT"));
    }
  }

  async writeRows(table: CopyTable, rows: readonly CanonicalRow[]): Promise<void> {
    const names = table.columns.map((c) => quoteIdentifier(c.name));
    const insert = this.#statement(
      `INSERT INTO ${quoteIdentifier(table.name)} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})${onConflictClause(table)}`,
    );
    this.#database.write(() => {
      for (const row of rows) insert.run(...row.map(toSqliteValue));
    });
  }

  #readRows(table: CopyTable, after: CanonicalRow | null, limit: number): CanonicalRow[] {
    const key = table.primaryKey.map(quoteIdentifier);
    const where = after === null ? "" : `WHERE (${key.join(", ")}) > (${key.map(() => "?").join(", ")})`;
    const sql = `SELECT ${table.columns.map((c) => quoteIdentifier(c.name)).join(", ")}
      FROM ${quoteIdentifier(table.name)} ${where} ORDER BY ${key.join(", ")} LIMIT ?`;
    const params = after === null ? [] : after.map(toSqliteValue);
    const raw = translate(() =>
      this.#statement(sql)
        .raw(true)
        .all(...params, limit),
    ) as unknown[][];
    return raw.map((values) => table.columns.map((column, i) => toCanonical(table, column, values[i])));
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = translate(() => this.#database.db.prepare(sql).safeIntegers(true));
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** better-sqlite3 binds no booleans: SQLite's booleans are the integers 0 and 1. */
function toSqliteValue(value: CanonicalValue): string | bigint | Buffer | null {
  if (typeof value === "boolean") return value ? 1n : 0n;
  return value;
}
