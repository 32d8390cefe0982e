import { performance } from "node:perf_hooks";
import { openSecret, type SealedSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import type { Clock } from "../services/clock.js";
import { webhookSecretContext } from "../services/webhook-service.js";
import type { ClaimedDelivery, DeliveryResult, WebhookStore } from "../store/webhook-store.js";
import { createEventLoopLoadProbe } from "./event-loop-load.js";
import { nextAttemptAt, type RetrySchedule } from "./retry-schedule.js";
import { sendWebhook } from "./send-webhook.js";
import { signWebhook } from "./sign-webhook.js";
import { parseWebhookSecret } from "./webhook-secret.js";

/** Options for {@link WebhookDeliveryWorker}. */
export interface WebhookDeliveryWorkerOptions {
  store: WebhookStore;
  kms: Kms;
  clock: Clock;
  /** Deliveries in flight at once; a receiver that hangs holds one slot until its timeout. */
  concurrency: number;
  /** Per-request timeout, covering connect, headers and body. */
  timeoutMs: number;
  /** How often the queue is checked when nothing wakes the worker. */
  pollIntervalMs: number;
  schedule: RetrySchedule;
  userAgent: string;
  /** Jitter source in [0, 1). */
  random?: () => number;
  send?: typeof sendWebhook;
  /** Errors of the worker itself (the store unreachable, a secret that does not open), never a receiver's. */
  onError?(error: unknown): void;
  /**
   * True while the process is busy serving requests: deliveries then start one at a time, `busyPauseMs` apart,
   * so a backlog (or a receiver that fails fast and is retried) does not take CPU from verification. Deliveries
   * already waiting on slow receivers cost no CPU and do not count. Defaults to an event-loop-utilization probe.
   */
  isBusy?: () => boolean;
  /** Time between the starts of two deliveries while busy (default 50 ms: at most ~20 a second). */
  busyPauseMs?: number;
}

/** Event loop utilization from which the process counts as busy, and the window it is measured over. */
const BUSY_UTILIZATION = 0.9;
const BUSY_WINDOW_MS = 250;
const DEFAULT_BUSY_PAUSE_MS = 50;

/** Extra lease beyond the request timeout, so a slow store write after a send does not let another worker in. */
const LEASE_MARGIN_MS = 5_000;

/**
 * Sends due webhook deliveries from the durable queue: leases them in the store (so several processes share the
 * queue without sending one delivery twice at once), signs each per Standard Webhooks, sends it, and records the
 * attempt with its next retry time, or delivered, or failed once the retry window is over. Runs beside request
 * handling and never blocks it: receivers are only ever awaited here.
 */
export class WebhookDeliveryWorker {
  readonly #options: WebhookDeliveryWorkerOptions;
  readonly #secrets = new Map<string, Buffer>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Deliveries in flight per webhook, so one slow receiver cannot hold every slot. */
  readonly #inFlightByWebhook = new Map<string, number>();
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #pumping: Promise<void> | null = null;
  #wakeRequested = false;
  /** When the pump stopped to pace itself: resume after this long instead of the poll interval. */
  #resumeInMs: number | null = null;
  /** performance.now() of the last claim, for pacing while busy. */
  #lastClaimAt = Number.NEGATIVE_INFINITY;

  readonly #isBusy: () => boolean;

  constructor(options: WebhookDeliveryWorkerOptions) {
    this.#options = options;
    this.#isBusy =
      options.isBusy ?? createEventLoopLoadProbe({ threshold: BUSY_UTILIZATION, windowMs: BUSY_WINDOW_MS });
  }

  /** Starts polling the queue. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.wake();
  }

  /** Checks the queue now (new events were written), instead of at the next poll. */
  wake(): void {
    if (!this.#running) return;
    if (this.#pumping !== null) {
      this.#wakeRequested = true;
      return;
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (!this.#running) return;
      if (this.#wakeRequested) {
        this.#wakeRequested = false;
        this.wake();
        return;
      }
      const delay = this.#resumeInMs ?? this.#options.pollIntervalMs;
      this.#resumeInMs = null;
      this.#timer = setTimeout(() => this.wake(), delay);
      this.#timer.unref();
    });
  }

  /** Stops claiming and waits for deliveries in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pumping;
    await Promise.all(this.#inFlight);
  }

  /** Claims what is due now (up to the concurrency) and delivers it; returns how many it sent. For tests and tools. */
  async runOnce(): Promise<number> {
    const claimed = await this.#claim(this.#options.concurrency);
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)));
    return claimed.length;
  }

  /** Keeps every slot busy while due deliveries remain. */
  async #pump(): Promise<void> {
    try {
      for (;;) {
        if (!this.#running) return;
        let limit = this.#options.concurrency - this.#inFlight.size;
        if (limit <= 0) {
          await Promise.race(this.#inFlight);
          continue;
        }
        if (this.#isBusy()) {
          const waitMs =
            this.#lastClaimAt + (this.#options.busyPauseMs ?? DEFAULT_BUSY_PAUSE_MS) - performance.now();
          if (waitMs > 0) {
            this.#resumeInMs = waitMs;
            return;
          }
          limit = 1;
        }
        this.#lastClaimAt = performance.now();
        const claimed = await this.#claim(limit);
        if (claimed.length === 0) return;
        for (const delivery of claimed) {
          const { webhookId } = delivery;
          this.#inFlightByWebhook.set(webhookId, (this.#inFlightByWebhook.get(webhookId) ?? 0) + 1);
          const task: Promise<void> = this.#deliver(delivery).finally(() => {
            this.#inFlight.delete(task);
            const left = (this.#inFlightByWebhook.get(webhookId) ?? 1) - 1;
            if (left > 0) this.#inFlightByWebhook.set(webhookId, left);
            else this.#inFlightByWebhook.delete(webhookId);
            // The pump may have stopped on a webhook's full share; its backlog must not wait for the next poll.
            this.wake();
          });
          this.#inFlight.add(task);
        }
      }
    } catch (error) {
      this.#options.onError?.(error);
    }
  }

  async #claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.#options.clock.now();
    return this.#options.store.claimDeliveries({
      nowMs: now,
      leaseUntilMs: now + this.#options.timeoutMs + LEASE_MARGIN_MS,
      limit,
      // Half the slots at most per webhook: a receiver that hangs slows only its own deliveries.
      perWebhookLimit: Math.max(1, Math.floor(this.#options.concurrency / 2)),
      inFlight: this.#inFlightByWebhook,
    });
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    try {
      let key: Buffer;
      try {
        key = await this.#secretOf(delivery);
      } catch (error) {
        // Recorded as a failed attempt, so it keeps to the retry schedule and fails when the window ends,
        // instead of being retried at every lease expiry forever.
        this.#options.onError?.(error);
        await this.#options.store.finishDelivery({
          webhookId: delivery.webhookId,
          eventId: delivery.eventId,
          attempt: {
            attempt: delivery.attempt,
            attemptedAt: this.#options.clock.now(),
            durationMs: 0,
            statusCode: null,
            error: "signing secret unavailable",
            responseBody: null,
          },
          outcome: this.#retryOrFail(delivery),
        });
        return;
      }
      const attemptedAt = this.#options.clock.now();
      const headers = signWebhook({
        id: delivery.eventId,
        timestampSeconds: Math.floor(attemptedAt / 1000),
        body: delivery.payload,
        key,
      });
      const send = this.#options.send ?? sendWebhook;
      const response = await send({
        url: delivery.url,
        headers,
        body: delivery.payload,
        timeoutMs: this.#options.timeoutMs,
        userAgent: this.#options.userAgent,
      });
      await this.#options.store.finishDelivery({
        webhookId: delivery.webhookId,
        eventId: delivery.eventId,
        attempt: {
          attempt: delivery.attempt,
          attemptedAt,
          durationMs: response.durationMs,
          statusCode: response.statusCode,
          error: response.error,
          responseBody: response.responseBody,
        },
        outcome: response.ok ? { status: "delivered" } : this.#retryOrFail(delivery),
      });
    } catch (error) {
      // The lease runs out and another attempt follows; report why this one could not be made.
      this.#options.onError?.(error);
    }
  }

  #retryOrFail(delivery: ClaimedDelivery): DeliveryResult["outcome"] {
    const { schedule } = this.#options;
    const at = nextAttemptAt({
      attempt: delivery.attempt,
      nowMs: this.#options.clock.now(),
      giveUpAtMs: delivery.windowStartMs + schedule.giveUpAfterMs,
      schedule,
      random: this.#options.random ?? Math.random,
    });
    return at === null ? { status: "failed" } : { status: "pending", nextAttemptAt: at };
  }

  /** The webhook's signing key, unsealed once per webhook and sealed value (a changed secret is a new entry). */
  async #secretOf(delivery: ClaimedDelivery): Promise<Buffer> {
    const cacheKey = `${delivery.webhookId}:${delivery.sealedSecret}`;
    const cached = this.#secrets.get(cacheKey);
    if (cached !== undefined) return cached;
    const opened = await openSecret(
      this.#options.kms,
      JSON.parse(delivery.sealedSecret) as SealedSecret,
      webhookSecretContext(delivery.webhookId),
    );
    const key = parseWebhookSecret(opened.toString("utf8"));
    // Bounded: one entry per webhook in practice; clear rather than track recency for a rare overflow.
    if (this.#secrets.size >= 1_000) this.#secrets.clear();
    this.#secrets.set(cacheKey, key);
    return key;
  }
}
