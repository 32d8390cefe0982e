import type { VerificationCode } from "@keyward/core/verification.js";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CachedKind } from "../invalidation/invalidation-bus.js";
import type { LimiterOutageOutcome } from "../limits/rate-limiter.js";
import { createBatchedCounter } from "./batched-counter.js";

/** Which part of Keyward met the limiter outage: key verification, `POST /v1/ratelimit`, or the brute-force guard. */
export type LimiterOutageSource = "verify" | "ratelimit" | "brute_force";

/** The part of {@link Metrics} the services report limiter outages to; keeps them free of prom-client. */
export interface LimiterMetrics {
  limiterUnavailable(source: LimiterOutageSource, outcome: LimiterOutageOutcome): void;
}

/** What happened to an invalidation: this node sent one, heard one, or could not send one. */
export type InvalidationOutcome = "sent" | "received" | "failed";

/** The part of {@link Metrics} pepper rotation reports to: digests swapped to the current pepper version. */
export interface PepperMetrics {
  pepperRedigests(kind: "key" | "token", count: number): void;
}

/** The part of {@link Metrics} the cache invalidation reports to. */
export interface InvalidationMetrics {
  invalidation(outcome: InvalidationOutcome, kind: CachedKind): void;
  /** The node dropped all its caches: its invalidation connection dropped or came back, or a message was unreadable. */
  invalidationGap(): void;
}

/** The part of {@link Metrics} the verify routes report each verification to. */
export interface VerifyMetrics {
  /**
   * One verification: the code it answered (VALID, NOT_FOUND, ...) or the error code it threw
   * (TOO_MANY_FAILED_VERIFICATIONS, RATE_LIMITER_UNAVAILABLE, ...), and how long it took in seconds.
   */
  verification(code: string, durationSeconds: number): void;
}

/** Whether a verification found its key in the node's cache or had to ask the store. */
export type CacheLookupResult = "hit" | "miss";

/** The part of {@link Metrics} the key service reports verify cache lookups to. */
export interface VerifyCacheMetrics {
  verifyCacheLookup(result: CacheLookupResult): void;
}

/** The part of {@link Metrics} the store and rate limiter decorators report each call to. */
export interface OperationMetrics {
  /** A store method (`findKeyByDigest`, ...) finished, successfully or not, after `durationSeconds`. */
  storeOperation(operation: string, durationSeconds: number): void;
  storeError(operation: string): void;
  /** A rate limiter method (`charge`, ...) finished, successfully or not, after `durationSeconds`. */
  rateLimiterOperation(operation: string, durationSeconds: number): void;
  rateLimiterError(operation: string): void;
}

/** How one webhook delivery attempt ended: delivered, to be retried, or failed for good. */
export type WebhookDeliveryOutcome = "delivered" | "retry" | "failed";

/** The part of {@link Metrics} about the webhook queue. */
export interface WebhookMetrics {
  webhookDelivery(outcome: WebhookDeliveryOutcome): void;
  /**
   * Reports the queue depth at each scrape from `countPending` (the pending deliveries in the store). A failed
   * count keeps the last value: the store error is counted by the store decorator.
   */
  trackWebhookQueueDepth(countPending: () => Promise<number>): void;
}

/** Types of alerts the anomaly detectors raise. */
export const ALERT_TYPES = ["spike", "new_source", "brute_force", "dead_key_used", "canary"] as const;

/** One type of alert. */
export type AlertType = (typeof ALERT_TYPES)[number];

/** The part of {@link Metrics} the anomaly detectors report alerts to. */
export interface AlertMetrics {
  alert(type: AlertType): void;
}

/** Keyward's Prometheus metrics, in a registry of their own (never prom-client's global one). */
export interface Metrics
  extends LimiterMetrics,
    InvalidationMetrics,
    PepperMetrics,
    VerifyMetrics,
    VerifyCacheMetrics,
    OperationMetrics,
    WebhookMetrics,
    AlertMetrics {
  readonly registry: Registry;
  /** The exposition format's media type, for the `content-type` of `GET /metrics`. */
  readonly contentType: string;
  /** Every metric in the Prometheus text exposition format. */
  render(): Promise<string>;
}

/** The prefix of every metric Keyward exposes. */
export const METRIC_PREFIX = "keyward_";

const LIMITER_OUTCOMES: ReadonlyArray<readonly [LimiterOutageSource, LimiterOutageOutcome]> = [
  ["verify", "fail_open"],
  ["verify", "fail_closed"],
  ["ratelimit", "fail_open"],
  ["ratelimit", "fail_closed"],
  ["brute_force", "not_counted"],
];

const CACHED_KINDS: readonly CachedKind[] = [
  "key",
  "token",
  "project",
  "ratelimit_override",
  "identity",
  "role",
];

/** Every code a verification answers, and the errors it can throw on its own; each series starts at 0. */
export const VERIFY_CODES = [
  "VALID",
  "NOT_FOUND",
  "REVOKED",
  "EXPIRED",
  "DISABLED",
  "IP_NOT_ALLOWED",
  "INSUFFICIENT_SCOPE",
  "RATE_LIMITED",
  "USAGE_EXCEEDED",
  "TOO_MANY_FAILED_VERIFICATIONS",
  "RATE_LIMITER_UNAVAILABLE",
] as const satisfies readonly (
  | VerificationCode
  | "TOO_MANY_FAILED_VERIFICATIONS"
  | "RATE_LIMITER_UNAVAILABLE"
)[];

/** From 100 µs (a cache hit in process) to 1 s (a slow store or limiter): verify latency buckets, in seconds. */
export const VERIFY_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** Store and limiter calls: from 50 µs (an SQLite read, a memory limiter) to 2.5 s (a stalled connection). */
export const OPERATION_BUCKETS_SECONDS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5,
];

let processRegistry: Registry | undefined;

/**
 * The process and Node.js metrics, collected once per process: each collection starts a GC observer and an
 * event loop monitor that are never stopped, and tests build many apps in one process.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX });
  }
  return processRegistry;
}

/** Creates a registry with the process metrics and Keyward's own counters. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  // The process metrics are shared (they describe the one process); each registry holds them beside its own.
  const shared = processMetrics();
  for (const { name } of shared.getMetricsAsArray()) {
    const metric = shared.getSingleMetric(name);
    if (metric !== undefined) registry.registerMetric(metric);
  }
  const limiterUnavailable = new Counter({
    name: `${METRIC_PREFIX}rate_limiter_unavailable_total`,
    help: "Limiter calls that failed because the rate limiter was unavailable, by source and outcome.",
    labelNames: ["source", "outcome"] as const,
    registers: [registry],
  });
  // Every combination that can happen starts at 0, so dashboards and `increase()` see the series before an outage.
  for (const [source, outcome] of LIMITER_OUTCOMES) limiterUnavailable.inc({ source, outcome }, 0);
  const invalidations = new Counter({
    name: `${METRIC_PREFIX}cache_invalidations_total`,
    help: "Cache invalidations this node sent to, heard from, or failed to send to the other nodes, by record kind.",
    labelNames: ["outcome", "kind"] as const,
    registers: [registry],
  });
  for (const outcome of ["sent", "received", "failed"] as const) {
    for (const kind of CACHED_KINDS) invalidations.inc({ outcome, kind }, 0);
  }
  const gaps = new Counter({
    name: `${METRIC_PREFIX}cache_invalidation_gaps_total`,
    help: "Times this node dropped all its caches because invalidations may have been missed (connection lost or back).",
    registers: [registry],
  });
  const verify = verifyMetrics(registry);
  const cacheLookups = createBatchedCounter({
    registry,
    name: `${METRIC_PREFIX}verify_cache_requests_total`,
    help: "Key lookups of verifications answered by this node's cache (hit) or the store (miss).",
    labelName: "result",
    initial: ["hit", "miss"],
  });
  const store = operationMetrics(registry, {
    durationName: "store_operation_duration_seconds",
    errorsName: "store_errors_total",
    title: "Store",
  });
  const limiter = operationMetrics(registry, {
    durationName: "rate_limiter_duration_seconds",
    errorsName: "rate_limiter_errors_total",
    title: "Rate limiter",
  });
  const webhook = webhookMetrics(registry);
  const alerts = new Counter({
    name: `${METRIC_PREFIX}alerts_total`,
    help: "Alerts raised by the anomaly detectors, by type.",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  for (const type of ALERT_TYPES) alerts.inc({ type }, 0);
  const redigests = new Counter({
    name: `${METRIC_PREFIX}pepper_redigests_total`,
    help: "Keys and tokens re-digested under the current pepper version after a pepper rotation, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  for (const kind of ["key", "token"] as const) redigests.inc({ kind }, 0);
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    verification: verify,
    verifyCacheLookup(result) {
      cacheLookups.inc(result);
    },
    storeOperation: store.observe,
    storeError: store.fail,
    rateLimiterOperation: limiter.observe,
    rateLimiterError: limiter.fail,
    ...webhook,
    alert(type) {
      alerts.inc({ type });
    },
    limiterUnavailable(source, outcome) {
      limiterUnavailable.inc({ source, outcome });
    },
    invalidation(outcome, kind) {
      invalidations.inc({ outcome, kind });
    },
    invalidationGap() {
      gaps.inc();
    },
    pepperRedigests(kind, count) {
      redigests.inc({ kind }, count);
    },
  };
}

/** The verification counter and latency histogram; returns what records one verification. */
function verifyMetrics(registry: Registry): VerifyMetrics["verification"] {
  const verifications = createBatchedCounter({
    registry,
    name: `${METRIC_PREFIX}verifications_total`,
    help: "Key verifications by the code they answered, or the error code they threw.",
    labelName: "code",
    initial: VERIFY_CODES,
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}verify_duration_seconds`,
    help: "Time to verify a key, from the validated request to the decision (HTTP parsing excluded).",
    buckets: VERIFY_BUCKETS_SECONDS,
    registers: [registry],
  });
  return (code, durationSeconds) => {
    verifications.inc(code);
    duration.observe(durationSeconds);
  };
}

/** A latency histogram and an error counter per operation, for calls made through a decorator. */
function operationMetrics(
  registry: Registry,
  names: { durationName: string; errorsName: string; title: string },
): { observe(operation: string, durationSeconds: number): void; fail(operation: string): void } {
  const { durationName, errorsName, title } = names;
  const duration = new Histogram({
    name: `${METRIC_PREFIX}${durationName}`,
    help: `${title} calls by method, successful or not, in seconds.`,
    labelNames: ["operation"] as const,
    buckets: OPERATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const errors = new Counter({
    name: `${METRIC_PREFIX}${errorsName}`,
    help: `${title} calls that threw, by method (refusals such as a duplicate id excluded).`,
    labelNames: ["operation"] as const,
    registers: [registry],
  });
  const histograms = new Map<string, Histogram.Internal<"operation">>();
  return {
    observe(operation, durationSeconds) {
      let child = histograms.get(operation);
      if (child === undefined) {
        child = duration.labels(operation);
        histograms.set(operation, child);
        // The error series appears with the operation's first call, so rate() sees it before its first error.
        errors.inc({ operation }, 0);
      }
      child.observe(durationSeconds);
    },
    fail(operation) {
      errors.inc({ operation });
    },
  };
}

/** The webhook delivery counter and the queue depth gauge. */
function webhookMetrics(registry: Registry): WebhookMetrics {
  const deliveries = new Counter({
    name: `${METRIC_PREFIX}webhook_deliveries_total`,
    help: "Webhook delivery attempts by outcome: delivered, to be retried, or failed for good.",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of ["delivered", "retry", "failed"] as const) deliveries.inc({ outcome }, 0);
  let countPending: (() => Promise<number>) | null = null;
  new Gauge({
    name: `${METRIC_PREFIX}webhook_queue_depth`,
    help: "Webhook deliveries waiting to be sent or retried (pending, in flight included), read at each scrape.",
    registers: [registry],
    async collect() {
      if (countPending === null) return;
      try {
        this.set(await countPending());
      } catch {
        // Keeps the last value: a scrape must not fail because the store is down, which its own metrics show.
      }
    },
  });
  return {
    webhookDelivery(outcome) {
      deliveries.inc({ outcome });
    },
    trackWebhookQueueDepth(count) {
      countPending = count;
    },
  };
}
