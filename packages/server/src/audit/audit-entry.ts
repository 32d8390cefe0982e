import type { AuditActor, AuditEntryContent, CanonicalValue } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import type { Principal } from "../services/principal.js";

/** What one audit entry says, before the actor and the request's origin are added. */
export interface AuditFacts {
  /** A dotted verb: `key.created`, `token.revoked`, `webhook.deleted`, `alert.raised`… */
  action: string;
  target: { type: string; id: string } | null;
  projectId: string | null;
  /** Already redacted: build it with {@link changeDiff} or {@link recordDiff} from allow-listed fields. */
  diff?: AuditEntryContent["diff"];
  outcome?: AuditEntryContent["outcome"];
}

/** The actor of what Keyward does by itself (the scheduler, the anomaly detectors). */
export function systemActor(name: string): AuditActor {
  return { type: "system", id: "keyward", name };
}

/** The actor of a principal: its user, or its token (id and name as they are now). */
export function actorOf(principal: Principal): AuditActor {
  if (principal.user !== undefined)
    return { type: "user", id: principal.user.id, name: principal.user.email };
  return { type: "token", id: principal.tokenId, name: principal.tokenName ?? null };
}

/**
 * An audit entry for something a principal (or Keyward itself, with a system actor) did at `nowMs`, carrying the
 * request's source address, user agent and id when the principal came from an HTTP request.
 */
export function auditEntry(who: Principal | AuditActor, facts: AuditFacts, nowMs: number): AuditEntryContent {
  const principal = "tokenId" in who ? who : null;
  const origin = principal?.origin;
  return {
    id: newId("aud", { now: nowMs }),
    at: nowMs,
    actor: principal === null ? (who as AuditActor) : actorOf(principal),
    action: facts.action,
    target: facts.target,
    projectId: facts.projectId,
    sourceIp: origin?.sourceIp ?? null,
    userAgent: origin?.userAgent ?? null,
    requestId: origin?.requestId ?? null,
    outcome: facts.outcome ?? "success",
    diff: facts.diff ?? {},
  };
}

type Fields<T> = readonly (keyof T & string)[];

/**
 * The named fields of a record as an audit diff (`{field: value}`), for creations and deletions. Only the fields
 * named are read: secrets, digests and sealed values never reach the log because no caller names them.
 */
export function recordDiff<T extends object>(record: T, fields: Fields<T>): AuditEntryContent["diff"] {
  const diff: Record<string, CanonicalValue> = {};
  for (const field of fields) diff[field] = toCanonical(record[field]);
  return diff;
}

/**
 * The named fields that differ between two versions of a record, as `{field: {from, to}}`. `before` is the
 * record as read just before the change.
 */
export function changeDiff<T extends object>(
  before: T,
  after: T,
  fields: Fields<T>,
): AuditEntryContent["diff"] {
  const diff: Record<string, CanonicalValue> = {};
  for (const field of fields) {
    const from = toCanonical(before[field]);
    const to = toCanonical(after[field]);
    if (JSON.stringify(from) !== JSON.stringify(to)) diff[field] = { from, to };
  }
  return diff;
}

/** A value as JSON the chain can hash exactly: undefined becomes null, times stay epoch ms, buffers are refused. */
export function toCanonical(value: unknown): CanonicalValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toCanonical);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    // Bytes in a record are digests or key material: never logged.
    return "[redacted]";
  }
  if (typeof value === "object") {
    const out: Record<string, CanonicalValue> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = toCanonical(item);
    }
    return out;
  }
  return String(value);
}
