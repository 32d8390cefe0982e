import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { appendAuditChain } from "./postgres-audit-store.js";
import type { Queryable } from "./postgres-database.js";
import { insertEvents } from "./postgres-event-outbox.js";
import { type ChangeEffect, isAuditEntry, type NewEvent } from "./records.js";

/**
 * Writes a change's effects (events with their webhook deliveries, then audit entries on the chain) with the
 * change's transaction, so they exist exactly when the change does. The audit append comes last: it takes the
 * chain's lock, which is best held for as short a time as possible.
 */
export async function writeEffects(tx: Queryable, effects: readonly ChangeEffect[]): Promise<void> {
  if (effects.length === 0) return;
  const events: NewEvent[] = [];
  const entries: AuditEntryContent[] = [];
  for (const effect of effects) {
    if (isAuditEntry(effect)) entries.push(effect);
    else events.push(effect);
  }
  await insertEvents(tx, events);
  await appendAuditChain(tx, entries);
}
