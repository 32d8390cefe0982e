import { KeywardError } from "@keyward/core/keyward-error.js";
import pg from "pg";

/** Options for {@link PostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database` (the password never appears in errors or logs). */
  connectionString: string;
  /** The schema Keyward's tables live in (default `public`); created by `migrate()` when missing. */
  schema?: string;
  /** Most pooled connections (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection before STORE_UNAVAILABLE (default 5000 ms). */
  connectionTimeoutMs?: number;
  /** Per-statement timeout on the server (default 10000 ms): a stuck query fails instead of holding a connection. */
  statementTimeoutMs?: number;
}

/** One statement's rows. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Runs statements: the pool, or one connection inside a transaction. */
export interface Queryable {
  /** Seals audit entries appended through this connection (see {@link PostgresDatabase.auditEntryMac}). */
  auditEntryMac?: ((hash: string) => string) | null;
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

/** The schema name must be a plain identifier: it is interpolated into `SET search_path`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The pooled PostgreSQL connection shared by the PostgreSQL stores (via `pg`), so that a change and the events it
 * causes commit in one transaction. Translates driver errors at this boundary: unique violations become CONFLICT,
 * lost connections and timeouts STORE_UNAVAILABLE (retryable); the pool reconnects by itself when the server is
 * back, so no restart is needed.
 */
export class PostgresDatabase implements Queryable {
  readonly schema: string;
  readonly #pool: pg.Pool;
  /**
   * Seals each audit entry appended through this database: the HMAC of its hash under a key held through the
   * KMS. Set once at start by {@link AuditStore.useEntryMac}; null leaves entries unsealed.
   */
  auditEntryMac: ((hash: string) => string) | null = null;

  constructor(options: PostgresDatabaseOptions) {
    this.schema = options.schema ?? "public";
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new KeywardError("CONFIG_INVALID", "The PostgreSQL schema must be a lower-case identifier.");
    }
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      // Every connection works in Keyward's schema; `public` stays reachable for extensions.
      options: `-c search_path=${this.schema},public`,
      // Names the installation in pg_stat_activity, so an operator can tell Keyward's connections apart.
      application_name: applicationName(this.schema),
      types: { getTypeParser: typeParser },
    });
    // An idle connection that dies (server restart, network) emits here; without a listener it would crash the
    // process. The next query simply gets a fresh connection.
    this.#pool.on("error", () => {});
  }

  async query<Row = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<QueryResult<Row>> {
    try {
      const result = await this.#pool.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  /**
   * Runs a hot statement as a named prepared statement: each pooled connection parses and plans it once, then only
   * binds and executes it (the verification lookups cost PostgreSQL about a fifth as much this way). `name` must
   * be unique per SQL text; columns are always listed, so a migration elsewhere cannot change the result's shape.
   */
  async queryPrepared<Row = Record<string, unknown>>(
    name: string,
    sql: string,
    params: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    try {
      const result = await this.#pool.query({ name, text: sql, values: params as unknown[] });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw translatePostgresError(error);
    }
  }

  /**
   * Runs `work` in one transaction on one connection; commits when it resolves, rolls back when it throws.
   * `isolation` SERIALIZABLE is not used: the stores make their checks and changes single guarded statements.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw translatePostgresError(error);
    }
    let broken = false;
    // The pool listens for errors of idle connections only. One checked out here that the server ends between two
    // statements (a restart, pg_terminate_backend) emits "error" with nobody listening, which would crash the
    // process; the next statement then fails and is translated like any other.
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    const tx: Queryable = {
      auditEntryMac: this.auditEntryMac,
      async query<Row>(sql: string, params: readonly unknown[] = []) {
        try {
          const result = await client.query(sql, params as unknown[]);
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
        } catch (error) {
          throw translatePostgresError(error);
        }
      },
    };
    try {
      await tx.query("BEGIN");
      const result = await work(tx);
      await tx.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch {
        // The connection is gone; release it as broken so the pool does not hand it out again.
        broken = true;
      }
      throw error;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  /**
   * Applies pending migrations in one transaction under an advisory lock, so several nodes starting at once run
   * them one after the other; returns the versions this call applied (empty when the schema was current).
   */
  async migrate(
    migrations: readonly { version: number; name: string; sql: string }[],
    nowMs: number,
  ): Promise<number[]> {
    return this.transaction(async (tx) => {
      // Transaction-scoped: released at COMMIT or ROLLBACK, even if this process dies.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`keyward-migrate:${this.schema}`]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${this.schema}.schema_migrations
           (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
      );
      const applied = new Set(
        (
          await tx.query<{ version: number }>(`SELECT version FROM ${this.schema}.schema_migrations`)
        ).rows.map((r) => r.version),
      );
      const ran: number[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        await tx.query(`SET LOCAL search_path = ${this.schema}, public`);
        await tx.query(migration.sql);
        await tx.query(
          `INSERT INTO ${this.schema}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
          [migration.version, migration.name, nowMs],
        );
        ran.push(migration.version);
      }
      return ran;
    });
  }

  /** Ends the pool once; closing again does nothing (shutdown paths may overlap). */
  async close(): Promise<void> {
    if (this.#pool.ending) return;
    await this.#pool.end();
  }
}

/** What Keyward's connections call themselves in `pg_stat_activity`: `keyward:<schema>`, `keyward:<schema>:<role>`. */
export function applicationName(schema: string, role?: string): string {
  return role === undefined ? `keyward:${schema}` : `keyward:${schema}:${role}`;
}

const INT8_OID = 20;

/**
 * Reads BIGINT columns as numbers (pg returns strings by default): Keyward's BIGINTs are epoch milliseconds,
 * counts and balances, all below 2^53 by construction. Scoped to this pool instead of pg's global parsers.
 */
function typeParser(oid: number, format?: "text" | "binary"): (value: string) => unknown {
  if (oid === INT8_OID && format !== "binary") return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format ?? "text") as (value: string) => unknown;
}

/**
 * SQLSTATE classes that mean "the database cannot serve this now", worth retrying: connection exceptions (08),
 * refused authorization (28: a disabled role or a rotated password, until fixed), insufficient resources (53),
 * operator intervention such as a terminated backend, a shutdown or a statement timeout (57), system errors (58).
 */
const UNAVAILABLE_CLASSES = new Set(["08", "28", "53", "57", "58"]);
/**
 * Single codes of the same kind: a primary demoted to a read-only replica during failover (25006), a database
 * that is not there (3D000), transactions that lost a race and would succeed if retried (40001, 40P01, 55P03).
 */
const UNAVAILABLE_STATES = new Set(["25006", "3D000", "40001", "40P01", "55P03"]);
const UNAVAILABLE_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Turns a `pg` error into a catalogue error; anything unknown is passed on as it is. */
export function translatePostgresError(error: unknown): unknown {
  if (error instanceof KeywardError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === "23505" || code === "23503") {
    return new KeywardError("CONFLICT", "The record conflicts with one that already exists.", {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : "";
  if (
    (typeof code === "string" &&
      ((code.length === 5 && UNAVAILABLE_CLASSES.has(code.slice(0, 2))) ||
        UNAVAILABLE_STATES.has(code) ||
        UNAVAILABLE_NODE_CODES.has(code))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/.test(
      message,
    )
  ) {
    return new KeywardError("STORE_UNAVAILABLE", undefined, { cause: error, retryable: true });
  }
  return error;
}
