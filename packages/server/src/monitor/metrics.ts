import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import type { CachedKind } from "../invalidation/invalidation-bus.js";
import type { LimiterOutageOutcome } from "../limits/rate-limiter.js";

/** Which part of Keyward met the limiter outage: key verification, `POST /v1/ratelimit`, or the brute-force guard. */
export type LimiterOutageSource = "verify" | "ratelimit" | "brute_force";

/** The part of {@link Metrics} the services report limiter outages to; keeps them free of prom-client. */
export interface LimiterMetrics {
  limiterUnavailable(source: LimiterOutageSource, outcome: LimiterOutageOutcome): void;
}

/** What happened to an invalidation: this node sent one, heard one, or could not send one. */
export type InvalidationOutcome = "sent" | "received" | "failed";

/** The part of {@link Metrics} the cache invalidation reports to. */
export interface InvalidationMetrics {
  invalidation(outcome: InvalidationOutcome, kind: CachedKind): void;
  /** The node dropped all its caches: its invalidation connection dropped or came back, or a message was unreadable. */
  invalidationGap(): void;
}

/** Keyward's Prometheus metrics, in a registry of their own (never prom-client's global one). */
export interface Metrics extends LimiterMetrics, InvalidationMetrics {
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

const CACHED_KINDS: readonly CachedKind[] = ["key", "token", "project", "ratelimit_override"];

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
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    limiterUnavailable(source, outcome) {
      limiterUnavailable.inc({ source, outcome });
    },
    invalidation(outcome, kind) {
      invalidations.inc({ outcome, kind });
    },
    invalidationGap() {
      gaps.inc();
    },
  };
}
