import type { DeliveryAttempt, DeliveryRecord, WebhookRecord } from "../store/webhook-store.js";
import { isoOrNull } from "./presenters.js";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A webhook as JSON: explicit fields only, so the sealed secret can never leak by accident. */
export function presentWebhook(webhook: WebhookRecord) {
  return {
    id: webhook.id,
    projectId: webhook.projectId,
    url: webhook.url,
    description: webhook.description,
    events: webhook.events,
    enabled: webhook.enabled,
    createdAt: iso(webhook.createdAt),
    updatedAt: iso(webhook.updatedAt),
  };
}

/** A delivery as JSON, with its attempts in order. */
export function presentDelivery(delivery: DeliveryRecord) {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
    deliveredAt: isoOrNull(delivery.deliveredAt),
    createdAt: iso(delivery.createdAt),
    attemptLog: delivery.attemptLog.map(presentAttempt),
  };
}

function presentAttempt(attempt: DeliveryAttempt) {
  return {
    attempt: attempt.attempt,
    attemptedAt: iso(attempt.attemptedAt),
    durationMs: attempt.durationMs,
    statusCode: attempt.statusCode,
    error: attempt.error,
    responseBody: attempt.responseBody,
  };
}
