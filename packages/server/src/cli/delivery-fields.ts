import type { Delivery } from "@keyward/client/types.js";
import type { Field } from "./output.js";

/** What the last attempt at a delivery got: the receiver's status code, else the error, else null. */
export function lastAttemptOutcome(delivery: Delivery): string | null {
  const last = delivery.attemptLog.at(-1);
  if (last === undefined) return null;
  if (last.statusCode !== null) return String(last.statusCode);
  return last.error;
}

/** The human listing of one delivery. */
export function deliveryFields(delivery: Delivery): Field[] {
  return [
    ["event", delivery.id],
    ["webhook", delivery.webhookId],
    ["type", delivery.eventType],
    ["status", delivery.status],
    ["attempts", delivery.attempts],
    ["last result", lastAttemptOutcome(delivery)],
    ["next attempt", delivery.nextAttemptAt],
    ["delivered", delivery.deliveredAt],
    ["created", delivery.createdAt],
  ];
}
