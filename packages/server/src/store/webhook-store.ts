import type { ChangeEffect, EffectsFor, NewEvent } from "./records.js";

/** A webhook endpoint as the API shows it: never its secret. Times are epoch milliseconds. */
export interface WebhookRecord {
  id: string;
  projectId: string;
  url: string;
  description: string | null;
  /** Event types it receives; `*` for all. */
  events: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A new webhook and its signing secret sealed by the KMS (serialized JSON). */
export interface NewWebhook {
  record: WebhookRecord;
  sealedSecret: string;
}

/** The fields of a webhook an update may change; absent fields stay as they are. */
export interface WebhookPatch {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}

/** Where one event stands with one webhook. */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One try at delivering an event. */
export interface DeliveryAttempt {
  attempt: number;
  attemptedAt: number;
  durationMs: number;
  /** The receiver's HTTP status, or null when there was no response. */
  statusCode: number | null;
  /** Why the attempt failed without a response (timeout, refused, ...), or null. */
  error: string | null;
  /** The start of the receiver's response body, for debugging. */
  responseBody: string | null;
}

/** An event's delivery to one webhook, with every attempt so far. `id` is the event id. */
export interface DeliveryRecord {
  id: string;
  webhookId: string;
  eventType: string;
  status: DeliveryStatus;
  /** Attempts started so far (including one in flight). */
  attempts: number;
  /** When the next attempt is due, for a pending delivery. */
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  /** When the event happened. */
  createdAt: number;
  attemptLog: DeliveryAttempt[];
}

/** A delivery a worker has leased: everything needed to send it. */
export interface ClaimedDelivery {
  webhookId: string;
  eventId: string;
  /** The number of this attempt (1 for the first). */
  attempt: number;
  /** Retries stop this long after the event, or after a retry by hand: the start of the retry window. */
  windowStartMs: number;
  url: string;
  sealedSecret: string;
  eventType: string;
  payload: string;
  eventCreatedAt: number;
}

/** What a worker asks of the queue. */
export interface DeliveryClaim {
  nowMs: number;
  /** The leases end then; a worker that has not finished by then is presumed dead. */
  leaseUntilMs: number;
  /** At most this many deliveries in total. */
  limit: number;
  /**
   * At most this many deliveries of one webhook, less those the worker still has in flight for it
   * (`inFlight`), so that one slow or dead receiver cannot take every slot from the others. Webhooks are served
   * earliest-due first. Unlimited when absent.
   */
  perWebhookLimit?: number;
  inFlight?: ReadonlyMap<string, number>;
}

/** How an attempt ended and what happens next. */
export interface DeliveryResult {
  webhookId: string;
  eventId: string;
  attempt: DeliveryAttempt;
  /** delivered (2xx), retry at `nextAttemptAt`, or failed for good. */
  outcome: { status: "delivered" } | { status: "pending"; nextAttemptAt: number } | { status: "failed" };
}

/**
 * Webhook endpoints and the durable delivery queue behind them. Deliveries are created by the stores' changes
 * (in the change's transaction, for every enabled webhook of the project subscribed to the event type) and by
 * {@link WebhookStore.appendEvents}; workers lease them so that several processes never send one at once.
 */
export interface WebhookStore {
  createWebhook(webhook: NewWebhook, effects?: readonly ChangeEffect[]): Promise<void>;
  findWebhook(id: string): Promise<WebhookRecord | null>;
  /** Webhooks in id order, optionally only of some projects. */
  listWebhooks(query: {
    projectIds: readonly string[] | null;
    limit: number;
    after?: string;
  }): Promise<WebhookRecord[]>;
  updateWebhook(
    id: string,
    patch: WebhookPatch,
    nowMs: number,
    effectsFor?: EffectsFor<WebhookRecord>,
  ): Promise<WebhookRecord | null>;
  /** Deletes the webhook and its deliveries; false (and no effects written) when no webhook has that id. */
  deleteWebhook(id: string, effects?: readonly ChangeEffect[]): Promise<boolean>;

  /** Writes events that no other change carries (and fans them out to subscribed webhooks). */
  appendEvents(events: readonly NewEvent[]): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries that are due, of enabled webhooks, whose lease (if any) has run out,
   * counting an attempt for each. A worker that dies mid-attempt loses its lease and the delivery is tried again.
   */
  claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]>;
  /** Records an attempt and the delivery's new state; ignored if another worker has started a later attempt. */
  finishDelivery(result: DeliveryResult): Promise<void>;
  /** Deliveries of one webhook, newest event first; `after` is the last event id of the previous page. */
  listDeliveries(
    webhookId: string,
    query: { limit: number; after?: string; status?: DeliveryStatus },
  ): Promise<DeliveryRecord[]>;
  findDelivery(webhookId: string, eventId: string): Promise<DeliveryRecord | null>;
  /**
   * Makes a delivered or failed delivery pending again, due now, with a fresh retry window; a pending one stays
   * as it is. Null when there is no such delivery.
   */
  retryDelivery(
    webhookId: string,
    eventId: string,
    nowMs: number,
    effects?: readonly ChangeEffect[],
  ): Promise<DeliveryRecord | null>;
  /** Deletes events older than `beforeMs` whose deliveries are all finished; returns how many. */
  pruneEvents(beforeMs: number): Promise<number>;
  /**
   * Deliveries still pending, of every webhook: due, waiting for a retry or leased by a worker (the queue depth
   * of `GET /metrics`). A scan of the deliveries table, read once per scrape.
   */
  countPendingDeliveries(): Promise<number>;
}
