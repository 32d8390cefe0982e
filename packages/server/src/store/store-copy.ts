import { KeywardError } from "@keyward/core/keyward-error.js";
import { PostgresDatabase } from "./postgres-database.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import { PostgresTableIo } from "./postgres-table-io.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import { SqliteTableIo } from "./sqlite-table-io.js";
import { TableDigest } from "./store-copy-digest.js";
import { type CanonicalRow, COPY_TABLES, type CopyTable, primaryKeyOf } from "./store-copy-tables.js";
import type { TableIo, TableReader } from "./store-table-io.js";

/** A store `copyStore()` reads or writes: an opened SQLite database or PostgreSQL pool (any schema). */
export type CopyableDatabase = SqliteDatabase | PostgresDatabase;

/** Where a copy or its verification is: `copied` of `total` rows of `table` done. */
export interface StoreCopyProgress {
  phase: "copy" | "verify";
  table: string;
  copied: number;
  total: number;
}

/** One table of a {@link StoreCopyReport}: the source's count and digest, and the target's. */
export interface StoreCopyTableReport {
  name: string;
  rows: number;
  /** SHA-256 (hex) of the source's rows, see `store-copy-digest.ts`. */
  digest: string;
  targetRows: number;
  targetDigest: string;
  /** True when the target's count and digest equal the source's. */
  verified: boolean;
}

/** What a copy (or a verification alone) found: `ok` only when every table verified. */
export interface StoreCopyReport {
  tables: StoreCopyTableReport[];
  totalRows: number;
  ok: boolean;
}

/** Options for {@link copyStore}. */
export interface CopyStoreOptions {
  from: CopyableDatabase;
  to: CopyableDatabase;
  /** Rows per read and per target transaction (default 1000). */
  batchSize?: number;
  onProgress?: (progress: StoreCopyProgress) => void;
  /** The migrations' `applied_at` clock (default `Date.now`). */
  now?: () => number;
}

/** Rows per batch unless told otherwise: one transaction of ~1000 rows keeps each commit short on both sides. */
export const DEFAULT_COPY_BATCH_SIZE = 1_000;
const MAX_BATCH_SIZE = 100_000;

/**
 * Copies a whole installation from one store to another, in either direction between SQLite and PostgreSQL:
 * migrates both to this build's schema, refuses a target that holds any row (CONFLICT), copies every table in
 * foreign-key order in batches ordered by primary key (one target transaction per batch, all reads from one
 * snapshot of the source), then verifies counts and digests of both sides, re-read independently. The sealed
 * pepper and webhook secrets are copied as they are: the target must be served with the source's master key.
 */
export async function copyStore(options: CopyStoreOptions): Promise<StoreCopyReport> {
  const batchSize = checkBatchSize(options.batchSize);
  if (options.from === options.to) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      "The source and the target of a copy must be different stores.",
    );
  }
  const source = openTableIo(options.from);
  const target = openTableIo(options.to);
  const nowMs = (options.now ?? Date.now)();
  await source.migrate(nowMs);
  await target.migrate(nowMs);
  await checkSchema(source, "source");
  await checkSchema(target, "target");
  await checkEmpty(target);

  await source.read(async (reader) => {
    const totals = new Map<string, number>();
    for (const table of COPY_TABLES) totals.set(table.name, await reader.countRows(table));
    for (const table of COPY_TABLES) {
      const total = totals.get(table.name) ?? 0;
      let copied = 0;
      options.onProgress?.({ phase: "copy", table: table.name, copied, total });
      for await (const rows of batchesOf(reader, table, batchSize)) {
        await target.writeRows(table, rows);
        copied += rows.length;
        options.onProgress?.({ phase: "copy", table: table.name, copied, total: Math.max(total, copied) });
      }
    }
  });
  return verifyStoreCopy({ ...options, batchSize });
}

/** Options for {@link verifyStoreCopy}. */
export type VerifyStoreCopyOptions = Pick<CopyStoreOptions, "from" | "to" | "batchSize" | "onProgress">;

/**
 * Compares every copied table of two stores: row count and SHA-256 over the rows in primary-key order, each side
 * read from a snapshot of its own and normalized the same way. Changes nothing; reports, never throws, a mismatch.
 */
export async function verifyStoreCopy(options: VerifyStoreCopyOptions): Promise<StoreCopyReport> {
  const batchSize = checkBatchSize(options.batchSize);
  const source = openTableIo(options.from);
  const target = openTableIo(options.to);
  const tables = await source.read((sourceReader) =>
    target.read(async (targetReader) => {
      const reports: StoreCopyTableReport[] = [];
      for (const table of COPY_TABLES) {
        const total = await sourceReader.countRows(table);
        options.onProgress?.({ phase: "verify", table: table.name, copied: 0, total });
        const sourceBatches = batchesOf(sourceReader, table, batchSize)[Symbol.asyncIterator]();
        const targetBatches = batchesOf(targetReader, table, batchSize)[Symbol.asyncIterator]();
        const sourceDigest = new TableDigest(table);
        const targetDigest = new TableDigest(table);
        // Both sides in step, a batch each, so progress means something and neither side is read twice.
        for (;;) {
          const [fromSource, fromTarget] = await Promise.all([sourceBatches.next(), targetBatches.next()]);
          if (fromSource.done === true && fromTarget.done === true) break;
          for (const row of fromSource.value ?? []) sourceDigest.add(row);
          for (const row of fromTarget.value ?? []) targetDigest.add(row);
          const copied = sourceDigest.rows;
          options.onProgress?.({
            phase: "verify",
            table: table.name,
            copied,
            total: Math.max(total, copied),
          });
        }
        const digest = sourceDigest.digest();
        const targetDigestHex = targetDigest.digest();
        reports.push({
          name: table.name,
          rows: sourceDigest.rows,
          digest,
          targetRows: targetDigest.rows,
          targetDigest: targetDigestHex,
          verified: sourceDigest.rows === targetDigest.rows && digest === targetDigestHex,
        });
      }
      return reports;
    }),
  );
  return {
    tables,
    totalRows: tables.reduce((sum, t) => sum + t.rows, 0),
    ok: tables.every((t) => t.verified),
  };
}

/** The {@link TableIo} of an opened database. */
export function openTableIo(database: CopyableDatabase): TableIo {
  return database instanceof PostgresDatabase ? new PostgresTableIo(database) : new SqliteTableIo(database);
}

/** A table's rows in primary-key order, `batchSize` at a time, each batch read after the last one's key. */
async function* batchesOf(
  reader: TableReader,
  table: CopyTable,
  batchSize: number,
): AsyncGenerator<CanonicalRow[], void> {
  let after: CanonicalRow | null = null;
  for (;;) {
    const rows = await reader.readRows(table, after, batchSize);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (rows.length < batchSize || last === undefined) return;
    after = primaryKeyOf(table, last);
  }
}

function checkBatchSize(batchSize: number | undefined): number {
  const size = batchSize ?? DEFAULT_COPY_BATCH_SIZE;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      `The batch size must be an integer from 1 to ${MAX_BATCH_SIZE}.`,
    );
  }
  return size;
}

/** The schema version this build migrates to; both dialects' lists end at the same version. */
const LATEST_VERSION = Math.max(
  ...SQLITE_MIGRATIONS.map((m) => m.version),
  ...POSTGRES_MIGRATIONS.map((m) => m.version),
);

/**
 * Refuses a store whose tables differ from the ones this build copies: one migrated by a newer Keyward has
 * columns or versions this build would silently leave behind. Tables outside the list (another application's,
 * in a shared PostgreSQL schema) are left alone.
 */
async function checkSchema(io: TableIo, side: "source" | "target"): Promise<void> {
  const version = await io.schemaVersion();
  if (version > LATEST_VERSION) {
    throw new KeywardError(
      "CONFLICT",
      `The ${side} store's schema is at version ${version}, newer than this build's ${LATEST_VERSION}: run the copy with the Keyward version that migrated it.`,
    );
  }
  const found = await io.listColumns();
  const problems: string[] = [];
  for (const table of COPY_TABLES) {
    const columns = new Set(found.get(table.name) ?? []);
    const expected = table.columns.map((c) => c.name);
    const missing = expected.filter((name) => !columns.has(name));
    const unknown = [...columns].filter((name) => !expected.includes(name));
    if (missing.length > 0) problems.push(`${table.name} lacks ${missing.join(", ")}`);
    if (unknown.length > 0) problems.push(`${table.name} has unknown ${unknown.join(", ")}`);
  }
  if (problems.length > 0) {
    throw new KeywardError(
      "CONFLICT",
      `The ${side} ${io.dialect} store's tables are not the ones this build copies (${problems.join("; ")}).`,
    );
  }
}

/** Refuses a target holding any row: copying into it would mix two installations. */
async function checkEmpty(target: TableIo): Promise<void> {
  const occupied = await target.read(async (reader) => {
    const found: string[] = [];
    for (const table of COPY_TABLES) {
      if (table.seededByMigration === true) continue;
      const rows = await reader.countRows(table);
      if (rows > 0) found.push(`${table.name}: ${rows}`);
    }
    return found;
  });
  if (occupied.length > 0) {
    throw new KeywardError(
      "CONFLICT",
      `The target store is not empty (rows in ${occupied.join(", ")}); copy only into a new, empty store or schema.`,
    );
  }
}
