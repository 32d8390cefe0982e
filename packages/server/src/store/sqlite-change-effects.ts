import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { type ChangeEffect, isAuditEntry, type NewEvent } from "./records.js";
import { appendAuditChain } from "./sqlite-audit-store.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import { insertEvents } from "./sqlite-event-outbox.js";

/**
 * Writes a change's effects (events with their webhook deliveries, audit entries on the chain). Call inside the
 * transaction of the change, so they exist exactly when the change does.
 */
export function writeEffects(database: SqliteDatabase, effects: readonly ChangeEffect[]): void {
  if (effects.length === 0) return;
  const events: NewEvent[] = [];
  const entries: AuditEntryContent[] = [];
  for (const effect of effects) {
    if (isAuditEntry(effect)) entries.push(effect);
    else events.push(effect);
  }
  insertEvents(database, events);
  appendAuditChain(database, entries);
}
