/**
 * One storm of suspicious use, kept as one record: repeats with the same `dedupKey` while it is unacknowledged
 * and quiet for less than the window add to `occurrences` instead of raising a new alert. Times are epoch ms.
 */
export interface AlertRecord {
  id: string;
  projectId: string;
  keyId: string | null;
  type: string;
  dedupKey: string;
  firstSeenAt: number;
  lastSeenAt: number;
  occurrences: number;
  /** What the detector saw first (key id, outcome code, source address, time); never key material. */
  details: Record<string, unknown>;
  acknowledgedAt: number | null;
  /** The admin token that acknowledged the alert. */
  acknowledgedBy: string | null;
}

/** An alert to raise, or to add to when its storm is still going on. */
export interface AlertRaise {
  /** The id of the alert if it is a new one. */
  id: string;
  projectId: string;
  keyId: string | null;
  type: string;
  dedupKey: string;
  details: Record<string, unknown>;
  atMs: number;
  /** An open alert whose last occurrence is at most this long before `atMs` takes the occurrence. */
  quietMs: number;
}

/** What {@link AlertRaise} did: `raised` when it created a new alert (and wrote its events). */
export interface RaisedAlert {
  alert: AlertRecord;
  raised: boolean;
}

/** A page of alerts in id order (creation order). */
export interface AlertQuery {
  /** Only alerts of these projects; null for every project. */
  projectIds: readonly string[] | null;
  /** true: only acknowledged alerts, false: only open ones, absent: both. */
  acknowledged?: boolean;
  type?: string;
  limit: number;
  after?: string;
}

/** A row of `alerts`. */
export interface AlertRow {
  id: string;
  project_id: string;
  key_id: string | null;
  type: string;
  dedup_key: string;
  first_seen_at: number;
  last_seen_at: number;
  occurrences: number;
  details: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

/** The columns of `alerts`, in the order {@link alertParams} gives their values. */
export const ALERT_COLUMNS =
  "id, project_id, key_id, type, dedup_key, first_seen_at, last_seen_at, occurrences, details, acknowledged_at, acknowledged_by";

/** A new alert's values in {@link ALERT_COLUMNS} order: one occurrence, first and last seen now, open. */
export function alertParams(raise: AlertRaise): unknown[] {
  return [
    raise.id,
    raise.projectId,
    raise.keyId,
    raise.type,
    raise.dedupKey,
    raise.atMs,
    raise.atMs,
    1,
    JSON.stringify(raise.details),
    null,
    null,
  ];
}

/** A row as its record. */
export function toAlert(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    keyId: row.key_id,
    type: row.type,
    dedupKey: row.dedup_key,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    occurrences: row.occurrences,
    details: JSON.parse(row.details) as Record<string, unknown>,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
  };
}
