import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import Database from "better-sqlite3";
import { DEFAULT_PROJECT_SETTING, type KeyStore, PEPPER_SETTING } from "./key-store.js";
import type {
  BootstrapSeed,
  KeyPatch,
  KeyQuery,
  NewKey,
  NewToken,
  PageQuery,
  ProjectRecord,
  TokenRecord,
  UsageEntry,
  WithDigest,
} from "./records.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";

/** Options for {@link SqliteKeyStore}. */
export interface SqliteKeyStoreOptions {
  /** Database file path, or `:memory:`. */
  path: string;
  /** SQLite page cache in MiB (SQLite's default is 2 MiB; a million keys take ~400 MiB on disk). */
  cacheSizeMiB?: number;
  /** Bytes of the file SQLite may read through mmap, in MiB (address space, not resident memory); 0 disables. */
  mmapSizeMiB?: number;
}

interface KeyRow {
  id: string;
  project_id: string;
  digest: Buffer;
  start: string;
  name: string | null;
  owner_id: string | null;
  scopes: string;
  meta: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  enabled: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  last_used_at: number | null;
}

interface TokenRow {
  id: string;
  digest: Buffer;
  start: string;
  name: string;
  permissions: string;
  project_ids: string | null;
  created_by: string | null;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

interface ProjectRow {
  id: string;
  name: string;
  key_prefix: string;
  created_at: number;
}

/** Usage entries written per transaction; between chunks the event loop serves requests. */
const USAGE_CHUNK = 250;

const KEY_COLUMNS =
  "id, project_id, digest, start, name, owner_id, scopes, meta, created_at, updated_at, expires_at, enabled, revoked_at, revoked_reason";
/** A key row with its usage, which lives in its own table. */
const SELECT_KEYS = `SELECT ${KEY_COLUMNS.split(", ")
  .map((c) => `k.${c}`)
  .join(", ")}, u.last_used_at FROM keys k LEFT JOIN key_usage u ON u.key_id = k.id`;
const TOKEN_COLUMNS =
  "id, digest, start, name, permissions, project_ids, created_by, created_at, revoked_at, last_used_at";

/** The embedded default {@link KeyStore}: one SQLite file in WAL mode, via better-sqlite3. */
export class SqliteKeyStore implements KeyStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(options: SqliteKeyStoreOptions) {
    if (options.path !== ":memory:") {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      // Create the file 0600 before SQLite does (it would use the umask); its -wal and -shm files copy this mode.
      closeSync(openSync(options.path, "a", 0o600));
    }
    this.#db = translate(() => new Database(options.path));
    this.#db.pragma("journal_mode = WAL");
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    this.#db.pragma("synchronous = NORMAL");
    this.#db.pragma("busy_timeout = 5000");
    this.#db.pragma("foreign_keys = ON");
    // Cache-miss verification is a random index probe into a large file: a bigger page cache and mmap reads
    // roughly double its throughput at a million keys (docs/benchmarks.md).
    this.#db.pragma(`cache_size = ${-1024 * Math.trunc(options.cacheSizeMiB ?? 64)}`);
    this.#db.pragma(`mmap_size = ${1024 * 1024 * Math.trunc(options.mmapSizeMiB ?? 1024)}`);
  }

  async migrate(): Promise<void> {
    translate(() => {
      this.#db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
      );
      const applyAll = this.#db.transaction(() => {
        const applied = new Set(
          (this.#db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
            (r) => r.version,
          ),
        );
        for (const migration of SQLITE_MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          this.#db.exec(migration.sql);
          this.#db
            .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .run(migration.version, migration.name, Date.now());
        }
      });
      // IMMEDIATE takes the write lock first, so two processes migrating at once run one after the other.
      applyAll.immediate();
    });
  }

  async ping(): Promise<void> {
    this.#run("SELECT 1", "get");
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  async bootstrap(seed: BootstrapSeed): Promise<boolean> {
    const write = this.#db.transaction((): boolean => {
      const inserted = this.#statement(
        "INSERT INTO instance_settings (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
      ).run(PEPPER_SETTING, seed.sealedPepper, seed.defaultProject.createdAt);
      if (inserted.changes === 0) return false;
      this.#insertProject(seed.defaultProject);
      this.#statement("INSERT INTO instance_settings (name, value, created_at) VALUES (?, ?, ?)").run(
        DEFAULT_PROJECT_SETTING,
        seed.defaultProject.id,
        seed.defaultProject.createdAt,
      );
      this.#insertToken(seed.rootToken);
      return true;
    });
    return translate(() => write.immediate());
  }

  async readInstanceSetting(name: string): Promise<string | null> {
    const row = this.#run("SELECT value FROM instance_settings WHERE name = ?", "get", name) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  async createProject(project: ProjectRecord): Promise<void> {
    translate(() => this.#insertProject(project));
  }

  async findProject(id: string): Promise<ProjectRecord | null> {
    const row = this.#run("SELECT * FROM projects WHERE id = ?", "get", id) as ProjectRow | undefined;
    return row === undefined ? null : toProject(row);
  }

  async listProjects(query: PageQuery): Promise<ProjectRecord[]> {
    const rows = this.#run(
      "SELECT * FROM projects WHERE id > ? ORDER BY id LIMIT ?",
      "all",
      query.after ?? "",
      query.limit,
    );
    return (rows as ProjectRow[]).map(toProject);
  }

  async createKey(key: NewKey): Promise<void> {
    const r = key.record;
    const insert = this.#db.transaction(() => {
      this.#statement(
        `INSERT INTO keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        r.id,
        r.projectId,
        key.digest,
        r.start,
        r.name,
        r.ownerId,
        JSON.stringify(r.scopes),
        JSON.stringify(r.meta),
        r.createdAt,
        r.updatedAt,
        r.expiresAt,
        r.enabled ? 1 : 0,
        r.revokedAt,
        r.revokedReason,
      );
      if (r.lastUsedAt !== null) {
        this.#statement(
          "INSERT INTO key_usage (key_id, last_used_at, verification_count) VALUES (?, ?, 0)",
        ).run(r.id, r.lastUsedAt);
      }
    });
    translate(() => insert());
  }

  async findKey(id: string): Promise<KeyRecord | null> {
    const row = this.#run(`${SELECT_KEYS} WHERE k.id = ?`, "get", id) as KeyRow | undefined;
    return row === undefined ? null : toKey(row);
  }

  async findKeyByDigest(digest: Buffer): Promise<WithDigest<KeyRecord> | null> {
    const row = this.#run(`${SELECT_KEYS} WHERE k.digest = ?`, "get", digest) as KeyRow | undefined;
    return row === undefined ? null : { record: toKey(row), digest: row.digest };
  }

  async listKeys(query: KeyQuery): Promise<KeyRecord[]> {
    if (query.projectIds !== null && query.projectIds.length === 0) return [];
    const where = ["k.id > ?"];
    const params: unknown[] = [query.after ?? ""];
    if (query.projectIds !== null) {
      where.push(`k.project_id IN (${query.projectIds.map(() => "?").join(", ")})`);
      params.push(...query.projectIds);
    }
    if (query.ownerId !== undefined) {
      where.push("k.owner_id = ?");
      params.push(query.ownerId);
    }
    params.push(query.limit);
    const sql = `${SELECT_KEYS} WHERE ${where.join(" AND ")} ORDER BY k.id LIMIT ?`;
    return (this.#run(sql, "all", ...params) as KeyRow[]).map(toKey);
  }

  async updateKey(id: string, patch: KeyPatch, nowMs: number): Promise<KeyRecord | null> {
    const sets: string[] = ["updated_at = ?"];
    const params: unknown[] = [nowMs];
    const column = (name: string, value: unknown): void => {
      sets.push(`${name} = ?`);
      params.push(value);
    };
    if (patch.name !== undefined) column("name", patch.name);
    if (patch.ownerId !== undefined) column("owner_id", patch.ownerId);
    if (patch.scopes !== undefined) column("scopes", JSON.stringify(patch.scopes));
    if (patch.meta !== undefined) column("meta", JSON.stringify(patch.meta));
    if (patch.expiresAt !== undefined) column("expires_at", patch.expiresAt);
    if (patch.enabled !== undefined) column("enabled", patch.enabled ? 1 : 0);
    params.push(id);
    const sql = `UPDATE keys SET ${sets.join(", ")} WHERE id = ?`;
    // Update and read back in one transaction, so the returned record is exactly what this update left.
    const updateAndRead = this.#db.transaction((): KeyRow | undefined => {
      if (this.#statement(sql).run(...params).changes === 0) return undefined;
      return this.#statement(`${SELECT_KEYS} WHERE k.id = ?`).get(id) as KeyRow | undefined;
    });
    const row = translate(() => updateAndRead());
    return row === undefined ? null : toKey(row);
  }

  async revokeKey(id: string, reason: string | null, nowMs: number): Promise<KeyRecord | null> {
    // One statement, so a concurrent second revoke cannot overwrite the first one's time or reason.
    this.#run(
      "UPDATE keys SET revoked_at = ?, revoked_reason = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL",
      "run",
      nowMs,
      reason,
      nowMs,
      id,
    );
    return this.findKey(id);
  }

  async recordKeyUsage(entries: readonly UsageEntry[]): Promise<void> {
    // The SELECT from keys ignores ids of keys that do not exist instead of creating orphan usage rows.
    await this.#writeUsage(
      `INSERT INTO key_usage (key_id, last_used_at, verification_count) SELECT id, ?, ? FROM keys WHERE id = ?
       ON CONFLICT (key_id) DO UPDATE SET last_used_at = MAX(last_used_at, excluded.last_used_at),
       verification_count = verification_count + excluded.verification_count`,
      entries,
    );
  }

  async createToken(token: NewToken): Promise<void> {
    translate(() => this.#insertToken(token));
  }

  async findToken(id: string): Promise<TokenRecord | null> {
    const row = this.#run(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`, "get", id) as
      | TokenRow
      | undefined;
    return row === undefined ? null : toToken(row);
  }

  async findTokenByDigest(digest: Buffer): Promise<WithDigest<TokenRecord> | null> {
    const row = this.#run(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = ?`, "get", digest) as
      | TokenRow
      | undefined;
    return row === undefined ? null : { record: toToken(row), digest: row.digest };
  }

  async listTokens(query: PageQuery): Promise<TokenRecord[]> {
    const rows = this.#run(
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id > ? ORDER BY id LIMIT ?`,
      "all",
      query.after ?? "",
      query.limit,
    );
    return (rows as TokenRow[]).map(toToken);
  }

  async revokeToken(id: string, nowMs: number): Promise<TokenRecord | null> {
    this.#run("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", "run", nowMs, id);
    return this.findToken(id);
  }

  async recordTokenUsage(entries: readonly UsageEntry[]): Promise<void> {
    await this.#writeUsage(
      "UPDATE tokens SET last_used_at = MAX(COALESCE(last_used_at, 0), ?), use_count = use_count + ? WHERE id = ?",
      entries,
    );
  }

  /** Runs `sql` (parameters: lastUsedAt, count, id) for every entry, in small sorted transactions. */
  async #writeUsage(sql: string, entries: readonly UsageEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const statement = this.#statement(sql);
    const writeChunk = this.#db.transaction((chunk: readonly UsageEntry[]) => {
      for (const entry of chunk) statement.run(entry.lastUsedAt, entry.count, entry.id);
    });
    // Sorted ids touch neighbouring index pages one after another; small transactions with a turn of the event
    // loop between them keep this synchronous driver from stalling verification for the whole batch.
    const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let start = 0; start < sorted.length; start += USAGE_CHUNK) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      translate(() => writeChunk(sorted.slice(start, start + USAGE_CHUNK)));
    }
  }

  #insertProject(project: ProjectRecord): void {
    this.#statement("INSERT INTO projects (id, name, key_prefix, created_at) VALUES (?, ?, ?, ?)").run(
      project.id,
      project.name,
      project.keyPrefix,
      project.createdAt,
    );
  }

  #insertToken(token: NewToken): void {
    const r = token.record;
    this.#statement(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      r.id,
      token.digest,
      r.start,
      r.name,
      JSON.stringify(r.permissions),
      r.projectIds === null ? null : JSON.stringify(r.projectIds),
      r.createdBy,
      r.createdAt,
      r.revokedAt,
      r.lastUsedAt,
    );
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = translate(() => this.#db.prepare(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, mode: "get" | "all" | "run", ...params: unknown[]): unknown {
    const statement = this.#statement(sql);
    return translate(() => statement[mode](...params));
  }
}

/** Runs a driver call, turning driver errors into catalogue errors. */
function translate<T>(action: () => T): T {
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

function toProject(row: ProjectRow): ProjectRecord {
  return { id: row.id, name: row.name, keyPrefix: row.key_prefix, createdAt: row.created_at };
}

function toKey(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    ownerId: row.owner_id,
    start: row.start,
    scopes: JSON.parse(row.scopes) as string[],
    meta: JSON.parse(row.meta) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    enabled: row.enabled === 1,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    lastUsedAt: row.last_used_at,
  };
}

function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    permissions: JSON.parse(row.permissions) as string[],
    projectIds: row.project_ids === null ? null : (JSON.parse(row.project_ids) as string[]),
    start: row.start,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
