import type { AuditCheckpoint, AuditEntry } from "@keyward/core/audit-chain.js";
import { invalidField } from "@keyward/core/keyward-error.js";
import type { AuditVerification } from "../audit/audit-log.js";
import type { AuditCheckpointExport } from "../services/audit-service.js";
import type { StoredAuditCheckpoint } from "../store/audit-store.js";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** An audit entry as JSON: `at` as ISO 8601 with milliseconds, every other field as hashed. */
export function presentAuditEntry(entry: AuditEntry) {
  return {
    id: entry.id,
    seq: entry.seq,
    at: iso(entry.at),
    actor: { type: entry.actor.type, id: entry.actor.id, name: entry.actor.name },
    action: entry.action,
    target: entry.target === null ? null : { type: entry.target.type, id: entry.target.id },
    projectId: entry.projectId,
    sourceIp: entry.sourceIp,
    userAgent: entry.userAgent,
    requestId: entry.requestId,
    outcome: entry.outcome,
    diff: entry.diff,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

/** A checkpoint as JSON, `at` as ISO 8601 (the signature covers its epoch milliseconds). */
export function presentAuditCheckpoint(checkpoint: StoredAuditCheckpoint) {
  return {
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at: iso(checkpoint.at),
    keyId: checkpoint.keyId,
    signature: checkpoint.signature,
    kind: checkpoint.kind,
  };
}

/** The checkpoint export as JSON: the file `POST /v1/audit/verify` takes back. */
export function presentCheckpointExport(exported: AuditCheckpointExport) {
  return {
    publicKeys: exported.publicKeys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
    checkpoints: exported.checkpoints.map(presentAuditCheckpoint),
  };
}

/** A verification's verdict as JSON. */
export function presentAuditVerification(verdict: AuditVerification) {
  const head = { seq: verdict.head.seq, hash: verdict.head.hash };
  if (verdict.ok) {
    return { ok: true as const, entries: verdict.entries, checkpoints: verdict.checkpoints, head };
  }
  const bad = verdict.firstBadEntry;
  return {
    ok: false as const,
    entries: verdict.entries,
    reason: verdict.reason,
    firstBadEntry: bad === null ? null : { id: bad.id, seq: bad.seq, action: bad.action, at: iso(bad.at) },
    detail: verdict.detail,
    head,
  };
}

/**
 * A checkpoint kept elsewhere, as `POST /v1/audit/verify` receives it, back in the form its signature covers:
 * `at` in epoch milliseconds. An instant JavaScript cannot represent (a leap second) is a VALIDATION_ERROR.
 */
export function parseExportedCheckpoint(
  checkpoint: { seq: number; hash: string; at: string; keyId: string; signature: string },
  index: number,
): AuditCheckpoint {
  const at = Date.parse(checkpoint.at);
  if (!Number.isFinite(at)) {
    throw invalidField(`/checkpoints/${index}/at`, "must be an instant with millisecond precision");
  }
  return {
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at,
    keyId: checkpoint.keyId,
    signature: checkpoint.signature,
  };
}

/** An RFC 3339 instant of a query as epoch milliseconds; VALIDATION_ERROR naming `pointer` when unrepresentable. */
export function instantOf(text: string | undefined, pointer: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms))
    throw invalidField(pointer, "must be an RFC 3339 instant JavaScript can represent");
  return ms;
}
