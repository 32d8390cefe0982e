import type { CanonicalRow, CopyTable } from "./store-copy-tables.js";

/** Reads one store's tables inside one snapshot (see {@link TableIo.read}). */
export interface TableReader {
  countRows(table: CopyTable): Promise<number>;
  /**
   * At most `limit` rows in primary-key order (text compared byte by byte, as SQLite's BINARY collation and
   * PostgreSQL's "C" collation do), starting after the row whose primary key values are `after`.
   */
  readRows(table: CopyTable, after: CanonicalRow | null, limit: number): Promise<CanonicalRow[]>;
}

/**
 * Row-level access to one store for `keyward store copy`, one implementation per dialect. Values cross it in
 * canonical form only (`store-copy-tables.ts`), so a row read from one dialect can be written to the other.
 */
export interface TableIo {
  /** What the store is, for messages: `SQLite` or `PostgreSQL`. */
  readonly dialect: string;
  /** Applies this build's pending migrations (the store's own `migrate()`). */
  migrate(nowMs: number): Promise<void>;
  /** The highest migration version applied to the store. */
  schemaVersion(): Promise<number>;
  /** Every table of the store (the migrations table included) with its column names. */
  listColumns(): Promise<Map<string, string[]>>;
  /**
   * Runs `work` in one read-only snapshot of the store, so that every count and row it reads belongs to one
   * moment even if something writes meanwhile.
   */
  read<T>(work: (reader: TableReader) => Promise<T>): Promise<T>;
  /** Inserts `rows` (values in the order of `table.columns`) in one transaction. */
  writeRows(table: CopyTable, rows: readonly CanonicalRow[]): Promise<void>;
}
