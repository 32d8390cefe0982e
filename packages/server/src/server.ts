import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { createApp, type KeywardApp } from "./http/app.js";
import { type Instance, openInstance } from "./instance.js";
import { type MetricsListener, startMetricsListener } from "./monitor/metrics-listener.js";

/** A running Keyward server: the instance, the app and its address. */
export interface RunningServer {
  instance: Instance;
  app: KeywardApp;
  url: string;
  /** The unauthenticated metrics listener's address (`KEYWARD_METRICS_LISTEN`), or null when there is none. */
  metricsUrl: string | null;
  /** Keeps serving, but `/readyz` answers 503 NOT_READY from now on, so load balancers take the node out. */
  beginDrain(): void;
  /** Stops listening, drains the requests in flight, flushes batched counters and closes the pools. */
  close(): Promise<void>;
}

/** Opens the instance, builds the app and listens; prints the root token once when the store was empty. */
export async function startServer(options: {
  config: Config;
  logger: Logger;
  printRootToken: (token: string) => void;
}): Promise<RunningServer> {
  const { config, logger } = options;
  let draining = false;
  let limiterWarnedAt = Number.NEGATIVE_INFINITY;
  const instance = await openInstance({
    config,
    onLimiterUnavailable: (err, outage) => {
      // Reported on every verification during an outage: one line per 10 s keeps the log readable.
      const now = Date.now();
      if (now - limiterWarnedAt < 10_000) return;
      limiterWarnedAt = now;
      logger.warn(
        { err, ...outage },
        "the rate limiter is unavailable; limits fail open or closed as configured",
      );
    },
    onUsageWriteError: (err) => logger.warn({ err }, "writing batched usage failed; it will be retried"),
    onSchedulerError: (err) =>
      logger.error({ err }, "the lifecycle scheduler run failed; it runs again later"),
    onSchedulerRun: (report) => {
      if (report.expiring + report.expired + report.rotationDue + report.inactiveRevoked > 0) {
        logger.info({ report }, "lifecycle scheduler applied key policies");
      }
    },
    onEventWriteError: (err) => logger.warn({ err }, "a verify.brute_force event could not be written"),
    onDeliveryError: (err) =>
      logger.warn({ err }, "a webhook delivery could not be attempted; it will be retried"),
    onInvalidationError: (err) =>
      logger.warn(
        { err },
        "cache invalidation could not be broadcast; other nodes serve their cached copy until its TTL ends",
      ),
    onAlert: (alert) =>
      logger.warn(
        { alertId: alert.id, type: alert.type, projectId: alert.projectId, keyId: alert.keyId },
        "anomaly alert raised",
      ),
    onAlertError: (err) => logger.warn({ err }, "an anomaly alert could not be stored; it is lost"),
    onAuditError: (err) => logger.error({ err }, "a refused request could not be written to the audit log"),
    onInvalidationGap: () =>
      logger.info("cache invalidation connection changed; this node dropped its caches"),
  });
  if (instance.rootToken !== null) options.printRootToken(instance.rootToken);
  const app = await createApp({
    keys: instance.keys,
    tokens: instance.tokens,
    projects: instance.projects,
    webhooks: instance.webhooks,
    ratelimits: instance.ratelimits,
    usage: instance.usage,
    alerts: instance.alerts,
    audit: instance.audit,
    metrics: instance.metrics,
    readiness: async () => {
      if (draining) throw new KeywardError("NOT_READY", "This node is shutting down.", { retryable: true });
      return instance.checkReadiness();
    },
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: config.logRequests,
  });
  let metricsListener: MetricsListener | null = null;
  try {
    const url = await app.listen({ host: config.host, port: config.port });
    if (config.metricsListen !== null) {
      metricsListener = await startMetricsListener({
        metrics: instance.metrics,
        logger,
        ...config.metricsListen,
      });
      logger.info(
        { metricsUrl: metricsListener.url },
        "serving /metrics without authentication on its own listener",
      );
    }
    instance.startBackgroundJobs();
    const metricsUrl = metricsListener?.url ?? null;
    return {
      instance,
      app,
      url,
      metricsUrl,
      beginDrain() {
        draining = true;
      },
      async close() {
        await metricsListener?.close();
        await app.close();
        await instance.close();
      },
    };
  } catch (error) {
    await metricsListener?.close();
    await app.close();
    await instance.close();
    throw error;
  }
}
