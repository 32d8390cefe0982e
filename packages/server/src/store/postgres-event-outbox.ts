import type { Queryable } from "./postgres-database.js";
import type { NewEvent } from "./records.js";

/**
 * Writes events to the outbox and creates one pending delivery per enabled webhook of the event's project that
 * subscribes to its type (or to `*`). Call with the transaction of the change that caused the events, so an
 * event exists exactly when its change does. Two statements for the whole batch (arrays through `unnest`).
 */
export async function insertEvents(tx: Queryable, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = events.map((e) => e.id);
  const projectIds = events.map((e) => e.projectId);
  const types = events.map((e) => e.type);
  const createdAts = events.map((e) => e.createdAt);
  await tx.query(
    `INSERT INTO events (id, project_id, type, key_id, payload, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
    [ids, projectIds, types, events.map((e) => e.keyId), events.map((e) => e.payload), createdAts],
  );
  // `events` is a JSON array kept as TEXT; `?` is jsonb's "contains this string element" operator.
  await tx.query(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, window_start, next_attempt_at)
     SELECT w.id, e.id, 'pending', 0, e.created_at, e.created_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS e (id, project_id, type, created_at)
     JOIN webhooks w ON w.project_id = e.project_id AND w.enabled
       AND (w.events::jsonb ? e.type OR w.events::jsonb ? '*')`,
    [ids, projectIds, types, createdAts],
  );
}
