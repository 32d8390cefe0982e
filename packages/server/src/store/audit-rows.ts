import type { AuditCheckpoint, AuditEntry, AuditEntryContent } from "@keyward/core/audit-chain.js";
import type { StoredAuditCheckpoint } from "./audit-store.js";

/** An `audit_entries` row as both dialects return it (PostgreSQL BIGINTs arrive as strings). */
export interface AuditEntryRow {
  seq: number | string;
  id: string;
  at: number | string;
  actor_type: string;
  actor_id: string;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  project_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  outcome: string;
  diff: string;
  prev_hash: string;
  hash: string;
  mac: string | null;
}

/** An `audit_checkpoints` row. */
export interface AuditCheckpointRow {
  seq: number | string;
  hash: string;
  at: number | string;
  key_id: string;
  signature: string;
  kind: string;
}

/** The columns of `audit_entries` in insert order. */
export const AUDIT_ENTRY_COLUMNS = [
  "seq",
  "id",
  "at",
  "actor_type",
  "actor_id",
  "actor_name",
  "action",
  "target_type",
  "target_id",
  "project_id",
  "source_ip",
  "user_agent",
  "request_id",
  "outcome",
  "diff",
  "prev_hash",
  "hash",
  "mac",
] as const;

/** The values of an entry in {@link AUDIT_ENTRY_COLUMNS} order. */
export function auditEntryValues(entry: AuditEntry): unknown[] {
  return [
    entry.seq,
    entry.id,
    entry.at,
    entry.actor.type,
    entry.actor.id,
    entry.actor.name,
    entry.action,
    entry.target?.type ?? null,
    entry.target?.id ?? null,
    entry.projectId,
    entry.sourceIp,
    entry.userAgent,
    entry.requestId,
    entry.outcome,
    JSON.stringify(entry.diff),
    entry.prevHash,
    entry.hash,
    entry.mac ?? null,
  ];
}

/**
 * An entry as stored. A row whose fields were edited into something the chain cannot hold (an unknown actor type,
 * a diff that is not JSON) still comes back, as faithfully as possible, so the verifier reports it as modified
 * instead of the read failing.
 */
export function toAuditEntry(row: AuditEntryRow): AuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: Number(row.at),
    actor: {
      type: row.actor_type as AuditEntryContent["actor"]["type"],
      id: row.actor_id,
      name: row.actor_name,
    },
    action: row.action,
    target:
      row.target_type === null || row.target_id === null
        ? null
        : { type: row.target_type, id: row.target_id },
    projectId: row.project_id,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    outcome: row.outcome as AuditEntryContent["outcome"],
    diff: parseDiff(row.diff),
    prevHash: row.prev_hash,
    hash: row.hash,
    mac: row.mac,
  };
}

function parseDiff(text: string): AuditEntry["diff"] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as AuditEntry["diff"];
  } catch {
    // Falls through: an edited diff that is not JSON still hashes to something else.
  }
  return { unreadable: text };
}

/** A checkpoint as stored. */
export function toAuditCheckpoint(row: AuditCheckpointRow): StoredAuditCheckpoint {
  return {
    seq: Number(row.seq),
    hash: row.hash,
    at: Number(row.at),
    keyId: row.key_id,
    signature: row.signature,
    kind: row.kind as StoredAuditCheckpoint["kind"],
  };
}

/** The checkpoint without how it was made (what the signature covers, plus the signature). */
export function checkpointOf(stored: StoredAuditCheckpoint): AuditCheckpoint {
  const { kind: _kind, ...checkpoint } = stored;
  return checkpoint;
}
