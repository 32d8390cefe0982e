import type { Webhook } from "@keyward/client/types.js";
import type { Field } from "./output.js";

/** The human listing of one webhook record (never its secret). */
export function webhookFields(webhook: Webhook): Field[] {
  return [
    ["id", webhook.id],
    ["status", webhook.enabled ? "enabled" : "disabled"],
    ["project", webhook.projectId],
    ["url", webhook.url],
    ["events", webhook.events],
    ["description", webhook.description],
    ["created", webhook.createdAt],
    ["updated", webhook.updatedAt],
  ];
}
