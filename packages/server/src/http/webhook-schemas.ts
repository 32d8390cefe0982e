import { type TSchema, Type } from "typebox";
import { EVENT_TYPES } from "../events/event-types.js";

/** Limits on webhook input. The service checks what a schema cannot (URL shape, event names, secret format). */
export const WEBHOOK_LIMITS = {
  urlLength: 2048,
  descriptionLength: 255,
  events: 20,
  eventLength: 64,
  secretLength: 200,
} as const;

/** A reference to a webhook component registered with `app.addSchema`. */
export function webhookRef(name: "Webhook" | "CreatedWebhook" | "Delivery" | "DeliveryAttempt"): TSchema {
  return Type.Unsafe({ $ref: `${name}#` });
}

/** The endpoint URL in a request body. Its shape is checked by the service, whose errors never echo it. */
export const WebhookUrl = Type.String({
  minLength: 1,
  maxLength: WEBHOOK_LIMITS.urlLength,
  description:
    "Absolute https URL without credentials or fragment; plain http only to loopback hosts (or when " +
    "KEYWARD_WEBHOOK_ALLOW_HTTP is set).",
});

/** The subscribed event types in a request body. */
export const WebhookEvents = Type.Array(
  Type.String({ minLength: 1, maxLength: WEBHOOK_LIMITS.eventLength }),
  {
    minItems: 1,
    maxItems: WEBHOOK_LIMITS.events,
    description: `Event types to receive: ${EVENT_TYPES.join(", ")}, or * for all.`,
  },
);

/** The optional free-text description in a request body. */
export const WebhookDescription = Type.Unsafe<string | null>({
  type: ["string", "null"],
  maxLength: WEBHOOK_LIMITS.descriptionLength,
  description: "What the endpoint is for, or null.",
});

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example webhook, for the OpenAPI document. */
export const WEBHOOK_EXAMPLE = {
  id: "wh_0Vg3eR5n2Lq9Pz3RtYu4Ab",
  projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  url: "https://hooks.example.com/keyward",
  description: "key lifecycle to the billing service",
  events: ["key.rotated", "key.revoked", "key.expiring"],
  enabled: true,
  createdAt: exampleTime,
  updatedAt: exampleTime,
};

/** An example signing secret (not a real one), for the OpenAPI document. */
export const WEBHOOK_SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3Fq0LpnQeZ4=";

/** An example delivery attempt, for the OpenAPI document. */
export const DELIVERY_ATTEMPT_EXAMPLE = {
  attempt: 1,
  attemptedAt: "2026-11-28T09:00:01.000Z",
  durationMs: 84,
  statusCode: 200,
  error: null,
  responseBody: null,
};

/** An example delivery, for the OpenAPI document. */
export const DELIVERY_EXAMPLE = {
  id: "evt_0Vg3fS6n2Lq9Pz3RtYu4Ab",
  webhookId: WEBHOOK_EXAMPLE.id,
  eventType: "key.rotated",
  status: "delivered",
  attempts: 1,
  nextAttemptAt: null,
  deliveredAt: "2026-11-28T09:00:01.084Z",
  createdAt: exampleTime,
  attemptLog: [DELIVERY_ATTEMPT_EXAMPLE],
};

const timestamp = (description: string) => Type.String({ format: "date-time", description });
const nullableTimestamp = (description: string) =>
  Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description });

const webhookProperties = {
  id: Type.String(),
  projectId: Type.String(),
  url: Type.String({ description: "Where events are POSTed." }),
  description: Type.Union([Type.String(), Type.Null()]),
  events: Type.Array(Type.String(), { description: "Event types it receives; * for all." }),
  enabled: Type.Boolean({ description: "A disabled webhook queues nothing new and sends nothing." }),
  createdAt: timestamp("When the webhook was created."),
  updatedAt: timestamp("When the webhook was last changed."),
};

/** A webhook as the API shows it: never its secret. */
export const WebhookSchema = Type.Object(webhookProperties, { $id: "Webhook", examples: [WEBHOOK_EXAMPLE] });

/** A webhook as its creation returns it: with the signing secret, shown this once. */
export const CreatedWebhookSchema = Type.Object(
  {
    secret: Type.String({
      description:
        "The Standard Webhooks signing secret (whsec_…). Shown once: Keyward keeps it sealed and never returns it again.",
    }),
    ...webhookProperties,
  },
  { $id: "CreatedWebhook", examples: [{ secret: WEBHOOK_SECRET_EXAMPLE, ...WEBHOOK_EXAMPLE }] },
);

/** One try at delivering an event. */
export const DeliveryAttemptSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1, description: "1 for the first attempt." }),
    attemptedAt: timestamp("When the attempt started."),
    durationMs: Type.Integer({ minimum: 0 }),
    statusCode: Type.Union([Type.Integer(), Type.Null()], {
      description: "The receiver's HTTP status, or null when there was no response.",
    }),
    error: Type.Union([Type.String(), Type.Null()], {
      description: "Why there was no response (timeout, connection refused, ...), or null.",
    }),
    responseBody: Type.Union([Type.String(), Type.Null()], {
      description: "The start of the receiver's response body, for debugging.",
    }),
  },
  { $id: "DeliveryAttempt", examples: [DELIVERY_ATTEMPT_EXAMPLE] },
);

/** The delivery states, in the order they are usually reached. */
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;

/** A delivery status as one JSON Schema enum, so a wrong value yields one clear error. */
export const DeliveryStatusSchema = Type.Unsafe<(typeof DELIVERY_STATUSES)[number]>({
  type: "string",
  enum: [...DELIVERY_STATUSES],
  description:
    "pending (to be tried at nextAttemptAt), delivered (a 2xx answer) or failed (retries ran out).",
});

/** An event's delivery to one webhook, with every attempt so far. */
export const DeliverySchema = Type.Object(
  {
    id: Type.String({ description: "The event id, sent as the webhook-id header." }),
    webhookId: Type.String(),
    eventType: Type.String(),
    status: DeliveryStatusSchema,
    attempts: Type.Integer({ minimum: 0, description: "Attempts started so far." }),
    nextAttemptAt: nullableTimestamp("When the next attempt is due, for a pending delivery; otherwise null."),
    deliveredAt: nullableTimestamp("When a receiver answered 2xx, or null."),
    createdAt: timestamp("When the event happened."),
    attemptLog: Type.Array(webhookRef("DeliveryAttempt")),
  },
  { $id: "Delivery", examples: [DELIVERY_EXAMPLE] },
);

/** Every webhook component, in the order `app.addSchema` must see them. */
export const WEBHOOK_SCHEMAS = [WebhookSchema, CreatedWebhookSchema, DeliveryAttemptSchema, DeliverySchema];
