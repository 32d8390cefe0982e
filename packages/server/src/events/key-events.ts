import type { KeyRecord } from "@keyward/core/key-record.js";
import type { NewEvent } from "../store/records.js";
import type { EventType } from "./event-types.js";
import { newEvent } from "./new-event.js";

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * A key as events describe it. Never the key, its digest or even its `start`: an event travels to third-party
 * receivers and is stored in their logs, so it names keys by id only.
 */
export function eventKeyData(key: KeyRecord) {
  return {
    id: key.id,
    projectId: key.projectId,
    name: key.name,
    ownerId: key.ownerId,
    scopes: key.scopes,
    meta: key.meta,
    createdAt: new Date(key.createdAt).toISOString(),
    updatedAt: new Date(key.updatedAt).toISOString(),
    expiresAt: isoOrNull(key.expiresAt),
    enabled: key.enabled,
    revokedAt: isoOrNull(key.revokedAt),
    revokedReason: key.revokedReason,
    lastUsedAt: isoOrNull(key.lastUsedAt),
    replacedBy: key.replacedBy,
    replaces: key.replaces,
  };
}

/**
 * An event about one key, with the payload in the Standard Webhooks shape `{type, timestamp, data}`; `data.key`
 * is the key after the change, and `extra` adds event-specific fields to `data`.
 */
export function keyEvent(
  type: EventType,
  key: KeyRecord,
  nowMs: number,
  extra: Record<string, unknown> = {},
): NewEvent {
  return newEvent({
    type,
    projectId: key.projectId,
    keyId: key.id,
    data: { key: eventKeyData(key), ...extra },
    nowMs,
  });
}
