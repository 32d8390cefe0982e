/** Every event type Keyward emits; webhooks subscribe to some of them, or to `*` for all. */
export const EVENT_TYPES = [
  "key.created",
  "key.updated",
  "key.rotated",
  "key.revoked",
  "key.deleted",
  "key.expiring",
  "key.expired",
  "key.rotation_due",
  "key.inactive_revoked",
  "verify.brute_force",
  "anomaly.detected",
] as const;

/** One event type. */
export type EventType = (typeof EVENT_TYPES)[number];

/** True when `type` is an event type a webhook can subscribe to (`*` included). */
export function isSubscribableEventType(type: string): boolean {
  return type === "*" || (EVENT_TYPES as readonly string[]).includes(type);
}
