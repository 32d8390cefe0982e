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
import type { PostgresDatabase, Queryable } from "./postgres-database.js";

const COLUMN_TYPES = [
  "bigint",
  "text",
  "bigint",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
];

const INSERT_ENTRIES = `INSERT INTO audit_entries (${AUDIT_ENTRY_COLUMNS.join(", ")})
  SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(", ")})`;

/**
 * Chains and inserts audit entries after the head and moves the head, with the transaction of the change they
 * describe. The head row stays locked until that transaction ends, so appends from every node and connection
 * form one chain, in commit order. Take it last in a transaction (after the change's own row locks), as every
 * caller does through its effects, so two transactions never wait on each other in opposite orders.
 */
export async function appendAuditChain(
  tx: Queryable,
  entries: readonly AuditEntryContent[],
): Promise<AuditEntry[]> {
  if (entries.length === 0) return [];
  const { rows } = await tx.query<{ seq: string; hash: string }>(
    "SELECT seq, hash FROM audit_head WHERE singleton = 1 FOR UPDATE",
  );
  const row = rows[0];
  if (row === undefined) throw new Error("The audit_head row is missing: the schema is not migrated.");
  let head: AuditHead = { seq: Number(row.seq), hash: row.hash };
  const chained: AuditEntry[] = [];
  for (const content of entries) {
    const entry = chainAuditEntry(content, head);
    entry.mac = tx.auditEntryMac?.(entry.hash) ?? null;
    chained.push(entry);
    head = entry;
  }
  // One array per column, unnested into rows by the INSERT.
  const values = chained.map(auditEntryValues);
  const columns = AUDIT_ENTRY_COLUMNS.map((_, i) => values.map((row) => row[i]));
  await tx.query(INSERT_ENTRIES, columns);
  await tx.query("UPDATE audit_head SET seq = $1, hash = $2 WHERE singleton = 1", [head.seq, head.hash]);
  return chained;
}

/** The WHERE clause and parameters of the filters, numbering parameters after `extraParams`. */
function whereOf(filters: AuditFilters, extra: string[] = [], extraParams: unknown[] = []) {
  const clauses = [...extra];
  const params: unknown[] = [...extraParams];
  const add = (clause: (n: string) => string, value: unknown) => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  if (filters.actorId !== undefined) add((n) => `actor_id = ${n}`, filters.actorId);
  if (filters.action !== undefined) add((n) => `action = ${n}`, filters.action);
  if (filters.targetId !== undefined) add((n) => `target_id = ${n}`, filters.targetId);
  if (filters.projectIds !== undefined && filters.projectIds !== null) {
    add((n) => `project_id = ANY(${n}::text[])`, filters.projectIds);
  }
  if (filters.fromMs !== undefined) add((n) => `at >= ${n}`, filters.fromMs);
  if (filters.toMs !== undefined) add((n) => `at < ${n}`, filters.toMs);
  return { where: clauses.length === 0 ? "" : `WHERE ${clauses.join(" AND ")}`, params };
}

/** The audit log in the PostgreSQL database the other stores share. */
export class PostgresAuditStore implements AuditStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async appendAuditEntries(entries: readonly AuditEntryContent[]): Promise<AuditEntry[]> {
    if (entries.length === 0) return [];
    return this.#database.transaction((tx) => appendAuditChain(tx, entries));
  }

  async auditHead(): Promise<AuditHead> {
    const { rows } = await this.#database.query<{ seq: string; hash: string }>(
      "SELECT seq, hash FROM audit_head WHERE singleton = 1",
    );
    const row = rows[0];
    return row === undefined ? { seq: 0, hash: "0".repeat(64) } : { seq: Number(row.seq), hash: row.hash };
  }

  async listAuditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    const newest = query.order === "newest";
    const cursor = newest ? query.beforeSeq : query.afterSeq;
    const { where, params } = whereOf(
      query,
      cursor === undefined ? [] : [newest ? "seq < $1" : "seq > $1"],
      cursor === undefined ? [] : [cursor],
    );
    params.push(query.limit);
    const { rows } = await this.#database.query<AuditEntryRow>(
      `SELECT * FROM audit_entries ${where} ORDER BY seq ${newest ? "DESC" : "ASC"} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toAuditEntry);
  }

  async countAuditEntries(filters: AuditFilters): Promise<number> {
    const { where, params } = whereOf(filters);
    const { rows } = await this.#database.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_entries ${where}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async findAuditEntryAt(seq: number): Promise<AuditEntry | null> {
    const { rows } = await this.#database.query<AuditEntryRow>("SELECT * FROM audit_entries WHERE seq = $1", [
      seq,
    ]);
    const row = rows[0];
    return row === undefined ? null : toAuditEntry(row);
  }

  async hasAuditEntryWithHash(hash: string): Promise<boolean> {
    const { rows } = await this.#database.query("SELECT 1 FROM audit_entries WHERE hash = $1 LIMIT 1", [
      hash,
    ]);
    return rows.length > 0;
  }

  async saveAuditCheckpoint(checkpoint: StoredAuditCheckpoint): Promise<boolean> {
    const { rowCount } = await this.#database.query(
      `INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature, kind) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (seq) DO NOTHING`,
      checkpointValues(checkpoint),
    );
    return rowCount > 0;
  }

  async listAuditCheckpoints(): Promise<StoredAuditCheckpoint[]> {
    const { rows } = await this.#database.query<AuditCheckpointRow>(
      "SELECT * FROM audit_checkpoints ORDER BY seq",
    );
    return rows.map(toAuditCheckpoint);
  }

  useEntryMac(mac: (hash: string) => string): void {
    this.#database.auditEntryMac = mac;
  }

  async readAuditSigningKey(): Promise<string | null> {
    const { rows } = await this.#database.query<{ value: string }>(
      "SELECT value FROM instance_settings WHERE name = $1",
      [AUDIT_SIGNING_KEY_SETTING],
    );
    return rows[0]?.value ?? null;
  }

  async claimAuditSigningKey(sealed: string, nowMs: number): Promise<string> {
    await this.#database.query(
      "INSERT INTO instance_settings (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
      [AUDIT_SIGNING_KEY_SETTING, sealed, nowMs],
    );
    const stored = await this.readAuditSigningKey();
    if (stored === null) throw new Error("The audit signing key vanished right after it was stored.");
    return stored;
  }

  async pruneAuditEntries(checkpoint: StoredAuditCheckpoint): Promise<number> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query("DELETE FROM audit_entries WHERE seq <= $1", [checkpoint.seq]);
      await tx.query(
        `INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature, kind) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, at = excluded.at, key_id = excluded.key_id,
           signature = excluded.signature, kind = excluded.kind`,
        checkpointValues(checkpoint),
      );
      return rowCount;
    });
  }
}

function checkpointValues(checkpoint: StoredAuditCheckpoint): unknown[] {
  return [
    checkpoint.seq,
    checkpoint.hash,
    checkpoint.at,
    checkpoint.keyId,
    checkpoint.signature,
    checkpoint.kind,
  ];
}
