import { type AuditEntry, type AuditEntryContent, chainAuditEntry } from "@keyward/core/audit-chain.js";
import {
  AUDIT_ENTRY_COLUMNS,
  type AuditCheckpointRow,
  type AuditEntryRow,
  auditEntryValues,
  toAuditCheckpoint,
  toAuditEntry,
} from "./audit-rows.js";
import {
  AUDIT_SIGNING_KEY_SETTING,
  type AuditFilters,
  type AuditHead,
  type AuditQuery,
  type AuditStore,
  type StoredAuditCheckpoint,
} from "./audit-store.js";
import type { SqliteDatabase } from "./sqlite-database.js";

const INSERT_ENTRY = `INSERT INTO audit_entries (${AUDIT_ENTRY_COLUMNS.join(", ")})
  VALUES (${AUDIT_ENTRY_COLUMNS.map(() => "?").join(", ")})`;

/**
 * Chains and inserts audit entries after the head and moves the head. Call inside the transaction of the change
 * they describe: SQLite has one writer at a time, so no append can slip in between the read and the write.
 */
export function appendAuditChain(
  database: SqliteDatabase,
  entries: readonly AuditEntryContent[],
): AuditEntry[] {
  if (entries.length === 0) return [];
  let head = database.statement("SELECT seq, hash FROM audit_head WHERE singleton = 1").get() as AuditHead;
  const insert = database.statement(INSERT_ENTRY);
  const chained: AuditEntry[] = [];
  for (const content of entries) {
    const entry = chainAuditEntry(content, head);
    entry.mac = database.auditEntryMac?.(entry.hash) ?? null;
    insert.run(...auditEntryValues(entry));
    chained.push(entry);
    head = entry;
  }
  database.statement("UPDATE audit_head SET seq = ?, hash = ? WHERE singleton = 1").run(head.seq, head.hash);
  return chained;
}

/** The WHERE clause and parameters of the filters. */
function whereOf(filters: AuditFilters, extra: string[] = [], extraParams: unknown[] = []) {
  const clauses = [...extra];
  const params: unknown[] = [...extraParams];
  if (filters.actorId !== undefined) {
    clauses.push("actor_id = ?");
    params.push(filters.actorId);
  }
  if (filters.action !== undefined) {
    clauses.push("action = ?");
    params.push(filters.action);
  }
  if (filters.targetId !== undefined) {
    clauses.push("target_id = ?");
    params.push(filters.targetId);
  }
  if (filters.projectIds !== undefined && filters.projectIds !== null) {
    clauses.push("project_id IN (SELECT value FROM json_each(?))");
    params.push(JSON.stringify(filters.projectIds));
  }
  if (filters.fromMs !== undefined) {
    clauses.push("at >= ?");
    params.push(filters.fromMs);
  }
  if (filters.toMs !== undefined) {
    clauses.push("at < ?");
    params.push(filters.toMs);
  }
  return { where: clauses.length === 0 ? "" : `WHERE ${clauses.join(" AND ")}`, params };
}

/** The audit log in the SQLite database the other stores share. */
export class SqliteAuditStore implements AuditStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async appendAuditEntries(entries: readonly AuditEntryContent[]): Promise<AuditEntry[]> {
    return this.#database.write(() => appendAuditChain(this.#database, entries));
  }

  async auditHead(): Promise<AuditHead> {
    const row = this.#database.run(
      "SELECT seq, hash FROM audit_head WHERE singleton = 1",
      "get",
    ) as AuditHead;
    return { seq: Number(row.seq), hash: row.hash };
  }

  async listAuditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    const newest = query.order === "newest";
    const cursor = newest ? query.beforeSeq : query.afterSeq;
    const { where, params } = whereOf(
      query,
      cursor === undefined ? [] : [newest ? "seq < ?" : "seq > ?"],
      cursor === undefined ? [] : [cursor],
    );
    const rows = this.#database.run(
      `SELECT * FROM audit_entries ${where} ORDER BY seq ${newest ? "DESC" : "ASC"} LIMIT ?`,
      "all",
      ...params,
      query.limit,
    ) as AuditEntryRow[];
    return rows.map(toAuditEntry);
  }

  async countAuditEntries(filters: AuditFilters): Promise<number> {
    const { where, params } = whereOf(filters);
    const row = this.#database.run(`SELECT count(*) AS n FROM audit_entries ${where}`, "get", ...params) as {
      n: number;
    };
    return Number(row.n);
  }

  async findAuditEntryAt(seq: number): Promise<AuditEntry | null> {
    const row = this.#database.run("SELECT * FROM audit_entries WHERE seq = ?", "get", seq) as
      | AuditEntryRow
      | undefined;
    return row === undefined ? null : toAuditEntry(row);
  }

  async hasAuditEntryWithHash(hash: string): Promise<boolean> {
    return (
      this.#database.run("SELECT 1 FROM audit_entries WHERE hash = ? LIMIT 1", "get", hash) !== undefined
    );
  }

  async saveAuditCheckpoint(checkpoint: StoredAuditCheckpoint): Promise<boolean> {
    const result = this.#database.run(
      `INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature, kind) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (seq) DO NOTHING`,
      "run",
      checkpoint.seq,
      checkpoint.hash,
      checkpoint.at,
      checkpoint.keyId,
      checkpoint.signature,
      checkpoint.kind,
    ) as { changes: number };
    return result.changes > 0;
  }

  async listAuditCheckpoints(): Promise<StoredAuditCheckpoint[]> {
    const rows = this.#database.run(
      "SELECT * FROM audit_checkpoints ORDER BY seq",
      "all",
    ) as AuditCheckpointRow[];
    return rows.map(toAuditCheckpoint);
  }

  useEntryMac(mac: (hash: string) => string): void {
    this.#database.auditEntryMac = mac;
  }

  async readAuditSigningKey(): Promise<string | null> {
    const row = this.#database.run(
      "SELECT value FROM instance_settings WHERE name = ?",
      "get",
      AUDIT_SIGNING_KEY_SETTING,
    ) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async claimAuditSigningKey(sealed: string, nowMs: number): Promise<string> {
    return this.#database.write(() => {
      this.#database
        .statement(
          "INSERT INTO instance_settings (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .run(AUDIT_SIGNING_KEY_SETTING, sealed, nowMs);
      const row = this.#database
        .statement("SELECT value FROM instance_settings WHERE name = ?")
        .get(AUDIT_SIGNING_KEY_SETTING) as { value: string };
      return row.value;
    });
  }

  async pruneAuditEntries(checkpoint: StoredAuditCheckpoint): Promise<number> {
    return this.#database.write(() => {
      const deleted = this.#database
        .statement("DELETE FROM audit_entries WHERE seq <= ?")
        .run(checkpoint.seq).changes;
      // A periodic checkpoint may already sit at this seq: the pruning one replaces it (same hash, newer role).
      this.#database
        .statement(
          `INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature, kind) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, at = excluded.at, key_id = excluded.key_id,
             signature = excluded.signature, kind = excluded.kind`,
        )
        .run(
          checkpoint.seq,
          checkpoint.hash,
          checkpoint.at,
          checkpoint.keyId,
          checkpoint.signature,
          checkpoint.kind,
        );
      return deleted;
    });
  }
}
