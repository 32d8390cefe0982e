import type { PostgresDatabase, Queryable } from "./postgres-database.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import {
  type CanonicalRow,
  type CanonicalValue,
  type CopyColumn,
  type CopyColumnType,
  type CopyTable,
  onConflictClause,
  quoteIdentifier,
  toCanonical,
} from "./store-copy-tables.js";
import type { TableIo, TableReader } from "./store-table-io.js";

/** The array type each column's values are sent as; PostgreSQL casts bigint to an INTEGER column on insert. */
const ARRAY_TYPES: Record<CopyColumnType, string> = {
  text: "text[]",
  integer: "bigint[]",
  boolean: "boolean[]",
  bytes: "bytea[]",
};

/** {@link TableIo} over one PostgreSQL schema (`keyward store copy`). */
export class PostgresTableIo implements TableIo {
  readonly dialect = "PostgreSQL";
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async migrate(nowMs: number): Promise<void> {
    await this.#database.migrate(POSTGRES_MIGRATIONS, nowMs);
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.#database.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${quoteIdentifier(this.#database.schema)}.schema_migrations`,
    );
    return rows[0]?.version ?? 0;
  }

  async listColumns(): Promise<Map<string, string[]>> {
    const { rows } = await this.#database.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [this.#database.schema],
    );
    const tables = new Map<string, string[]>();
    for (const row of rows) {
      const columns = tables.get(row.table_name) ?? [];
      columns.push(row.column_name);
      tables.set(row.table_name, columns);
    }
    return tables;
  }

  async read<T>(work: (reader: TableReader) => Promise<T>): Promise<T> {
    return this.#database.transaction(async (tx) => {
      // One snapshot for every statement of the transaction; READ ONLY makes sure a copy never writes its source.
      await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      return work({
        countRows: async (table) => {
          const { rows } = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.#name(table)}`);
          return Number(rows[0]?.n ?? 0);
        },
        readRows: (table, after, limit) => this.#readRows(tx, table, after, limit),
      });
    });
  }

  async writeRows(table: CopyTable, rows: readonly CanonicalRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One array parameter per column, unnested into rows: a statement of a dozen parameters, where a multi-row
    // VALUES list would take one per value and cost PostgreSQL more to parse and plan than to insert.
    const names = table.columns.map((c) => quoteIdentifier(c.name)).join(", ");
    const arrays = table.columns.map((_, i) => rows.map((row) => toPostgresValue(row[i] ?? null)));
    const unnest = table.columns.map((c, i) => `$${i + 1}::${ARRAY_TYPES[c.type]}`).join(", ");
    await this.#database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${this.#name(table)} (${names}) SELECT * FROM unnest(${unnest})${onConflictClause(table)}`,
        arrays,
      );
    });
  }

  async #readRows(
    tx: Queryable,
    table: CopyTable,
    after: CanonicalRow | null,
    limit: number,
  ): Promise<CanonicalRow[]> {
    const key = table.primaryKey.map((name) => orderExpression(table, name));
    const params: unknown[] = after === null ? [] : after.map(toPostgresValue);
    const where =
      after === null ? "" : `WHERE (${key.join(", ")}) > (${key.map((_, i) => `$${i + 1}`).join(", ")})`;
    params.push(limit);
    const { rows } = await tx.query<Record<string, unknown>>(
      `SELECT ${table.columns.map(selectExpression).join(", ")} FROM ${this.#name(table)} AS t
        ${where} ORDER BY ${key.join(", ")} LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => table.columns.map((column) => toCanonical(table, column, row[column.name])));
  }

  #name(table: CopyTable): string {
    return `${quoteIdentifier(this.#database.schema)}.${quoteIdentifier(table.name)}`;
  }
}

/**
 * Integers are read as text: the pool parses BIGINT into a JS number, exact only below 2^53, and a copy must not
 * round anything.
 */
function selectExpression(column: CopyColumn): string {
  const name = quoteIdentifier(column.name);
  return column.type === "integer" ? `t.${name}::text AS ${name}` : `t.${name}`;
}

/**
 * A primary key column as the copy orders by it. Text is compared byte by byte (COLLATE "C", as SQLite's BINARY):
 * most ids are declared "C" already, but `instance_settings.name` and `key_notices.kind` use the database's
 * default collation, whose order would differ from SQLite's and so from the digest's.
 */
function orderExpression(table: CopyTable, name: string): string {
  const column = table.columns.find((c) => c.name === name);
  return column?.type === "text" ? `t.${quoteIdentifier(name)} COLLATE "C"` : `t.${quoteIdentifier(name)}`;
}

/** A bigint as decimal text: exact, and PostgreSQL casts it to the column's integer type. */
function toPostgresValue(value: CanonicalValue): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
