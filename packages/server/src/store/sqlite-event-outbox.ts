import type { NewEvent } from "./records.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/**
 * Writes events to the outbox and creates one pending delivery per enabled webhook of the event's project that
 * subscribes to its type (or to `*`). Call inside the transaction of the change that caused the events.
 */
export function insertEvents(database: SqliteDatabase, events: readonly NewEvent[]): void {
  if (events.length === 0) return;
  const insertEvent = database.statement(
    "INSERT INTO events (id, project_id, type, key_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const fanOut = database.statement(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, window_start, next_attempt_at)
     SELECT w.id, ?, 'pending', 0, ?, ? FROM webhooks w
     WHERE w.project_id = ? AND w.enabled = 1
       AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value IN (?, '*'))`,
  );
  for (const event of events) {
    insertEvent.run(event.id, event.projectId, event.type, event.keyId, event.payload, event.createdAt);
    fanOut.run(event.id, event.createdAt, event.createdAt, event.projectId, event.type);
  }
}
