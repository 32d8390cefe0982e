import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";
import Database from "better-sqlite3";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";

/** Options for {@link SqliteDatabase}. */
export interface SqliteDatabaseOptions {
  /** Database file path, or `:memory:`. */
  path: string;
  /** SQLite page cache in MiB (SQLite's default is 2 MiB; a million keys take ~400 MiB on disk). */
  cacheSizeMiB?: number;
  /** Bytes of the file SQLite may read through mmap, in MiB (address space, not resident memory); 0 disables. */
  mmapSizeMiB?: number;
}

/**
 * One SQLite connection shared by the SQLite stores, so that a change and the events it causes commit in one
 * transaction. Holds the prepared-statement cache and translates driver errors into catalogue errors.
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /**
   * Seals each audit entry appended through this database: the HMAC of its hash under a key held through the
   * KMS. Set once at start by {@link AuditStore.useEntryMac}; null leaves entries unsealed.
   */
  auditEntryMac: ((hash: string) => string) | null = null;

  constructor(options: SqliteDatabaseOptions) {
    if (options.path !== ":memory:") {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      // Create the file 0600 before SQLite does (it would use the umask); its -wal and -shm files copy this mode.
      closeSync(openSync(options.path, "a", 0o600));
    }
    this.db = translate(() => new Database(options.path));
    this.db.pragma("journal_mode = WAL");
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    // Cache-miss verification is a random index probe into a large file: a bigger page cache and mmap reads
    // roughly double its throughput at a million keys (docs/benchmarks.md).
    this.db.pragma(`cache_size = ${-1024 * Math.trunc(options.cacheSizeMiB ?? 64)}`);
    this.db.pragma(`mmap_size = ${1024 * 1024 * Math.trunc(options.mmapSizeMiB ?? 1024)}`);
  }

  /** Applies pending migrations in one write transaction; safe when several processes start at once. */
  migrate(nowMs: number): number[] {
    const ran: number[] = [];
    translate(() => {
      this.db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
      );
      const applyAll = this.db.transaction(() => {
        const applied = new Set(
          (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
            (r) => r.version,
          ),
        );
        for (const migration of SQLITE_MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          this.db.exec(migration.sql);
          this.db
            .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .run(migration.version, migration.name, nowMs);
          ran.push(migration.version);
        }
      });
      // IMMEDIATE takes the write lock first, so two processes migrating at once run one after the other.
      applyAll.immediate();
    });
    // Prepared statements may predate the schema change.
    this.#statements.clear();
    return ran;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The cached prepared statement for `sql`. */
  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = translate(() => this.db.prepare(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs one statement with translated errors. */
  run(sql: string, mode: "get" | "all" | "run", ...params: unknown[]): unknown {
    const statement = this.statement(sql);
    return translate(() => statement[mode](...params));
  }

  /**
   * Runs `work` in one IMMEDIATE transaction (the write lock is taken first, so a read-then-write cannot be
   * overtaken by another process between its read and its write), with translated errors.
   */
  write<T>(work: () => T): T {
    const transaction = this.db.transaction(work);
    return translate(() => transaction.immediate());
  }
}

/** Runs a driver call, turning driver errors into catalogue errors. */
export function translate<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof KeywardError) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") {
      if (code.startsWith("SQLITE_CONSTRAINT")) {
        throw new KeywardError("CONFLICT", "The record conflicts with one that already exists.", {
          cause: error,
        });
      }
      if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED") || code === "SQLITE_CANTOPEN") {
        throw new KeywardError("STORE_UNAVAILABLE", undefined, { cause: error, retryable: true });
      }
    }
    if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
      throw new KeywardError("STORE_UNAVAILABLE", undefined, { cause: error });
    }
    throw error;
  }
}
