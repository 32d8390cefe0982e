import { KeywardError } from "@keyward/core/keyward-error.js";
import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../app.js";
import { principalOf } from "../auth.js";
import { problems } from "../route-kit.js";

const EXAMPLE = [
  "# HELP keyward_verifications_total Key verifications by the code they answered, or the error code they threw.",
  "# TYPE keyward_verifications_total counter",
  'keyward_verifications_total{code="VALID"} 1520',
  'keyward_verifications_total{code="NOT_FOUND"} 12',
  "",
  "# HELP keyward_rate_limiter_unavailable_total Limiter calls that failed because the rate limiter was unavailable, by source and outcome.",
  "# TYPE keyward_rate_limiter_unavailable_total counter",
  'keyward_rate_limiter_unavailable_total{source="verify",outcome="fail_open"} 3',
  'keyward_rate_limiter_unavailable_total{source="verify",outcome="fail_closed"} 0',
  "",
  "# HELP keyward_process_resident_memory_bytes Resident memory size in bytes.",
  "# TYPE keyward_process_resident_memory_bytes gauge",
  "keyward_process_resident_memory_bytes 73940992",
  "",
].join("\n");

/** GET /metrics: the Prometheus exposition of this process's metrics. Needs `metrics:read`. */
export function registerMetrics(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/metrics",
    {
      config: { permission: "metrics:read" },
      schema: {
        tags: ["monitoring"],
        summary: "Prometheus metrics",
        description:
          "Needs `metrics:read` from a token not limited to projects (the metrics are instance-wide); Prometheus " +
          "sends it with `authorization` (or `bearer_token_file`) in its scrape config. Answers this process's " +
          "metrics in the Prometheus text format 0.0.4: process and Node.js metrics, verifications by code and " +
          "their latency, verify cache hits and misses, store and rate limiter latency and errors by operation, " +
          "limiter outages, cache invalidations, the webhook queue depth and deliveries, and alerts by type " +
          "(docs/metrics.md lists every series). Each process counts its own: scrape every one. With " +
          "KEYWARD_METRICS_LISTEN the same metrics are also served without a token on a separate listener.",
        response: {
          200: {
            description: "The metrics in the Prometheus text exposition format.",
            content: { [deps.metrics.contentType]: { schema: Type.String(), example: EXAMPLE } },
          },
          ...problems(),
        },
      },
    },
    async (request, reply) => {
      if (principalOf(request).projectIds !== null) {
        throw new KeywardError(
          "FORBIDDEN",
          "A token limited to some projects cannot read metrics, which are instance-wide.",
        );
      }
      return reply.type(deps.metrics.contentType).send(await deps.metrics.render());
    },
  );
}
