import type { Server as HttpsServer } from "node:https";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { apiSecureContext } from "./http/api-server.js";
import { createApp, type KeywardApp, servicesOf } from "./http/app.js";
import { type Instance, openInstance } from "./instance.js";
import { type MetricsListener, startMetricsListener } from "./monitor/metrics-listener.js";
import { checkListenTransport } from "./tls/listen-transport.js";
import {
  describeCertificateValidity,
  readTlsCredentials,
  type TlsCredentials,
} from "./tls/tls-credentials.js";

/** A running Keyward server: the instance, the app and its address. */
export interface RunningServer {
  instance: Instance;
  app: KeywardApp;
  url: string;
  /** The unauthenticated metrics listener's address (`KEYWARD_METRICS_LISTEN`), or null when there is none. */
  metricsUrl: string | null;
  /** Keeps serving, but `/readyz` answers 503 NOT_READY from now on, so load balancers take the node out. */
  beginDrain(): void;
  /**
   * Re-reads `KEYWARD_TLS_CERT` and `KEYWARD_TLS_KEY` (on SIGHUP): new handshakes get the new certificate, open
   * connections keep theirs. Resolves false, logged, when there is no TLS or the files fail their checks; the
   * certificate in use then stays.
   */
  reloadTls(): Promise<boolean>;
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
  // Checked before the data directory is touched, so a refused start leaves nothing behind.
  const transport = checkListenTransport(config);
  const credentials = config.tls === null ? null : await readTlsCredentials(config.tls);
  if (credentials !== null) logCertificate(logger, credentials, "serving HTTPS with this certificate");
  if (transport === "insecure-http") {
    logger.warn(
      { host: config.host },
      "serving plain HTTP on a non-loopback address (--insecure-http): tokens and keys cross the network " +
        "unencrypted unless a TLS-terminating proxy is the only client that can reach this port",
    );
  }
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
    onPepperRefreshError: (err) =>
      logger.warn({ err }, "the pepper versions could not be reloaded; keeping the ones loaded, retrying"),
    onInvalidationGap: () =>
      logger.info("cache invalidation connection changed; this node dropped its caches"),
  });
  if (instance.rootToken !== null) options.printRootToken(instance.rootToken);
  const app = await createApp({
    ...servicesOf(instance),
    readiness: async () => {
      if (draining) throw new KeywardError("NOT_READY", "This node is shutting down.", { retryable: true });
      return instance.checkReadiness();
    },
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: config.logRequests,
    tls: credentials,
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
      async reloadTls() {
        if (config.tls === null) {
          logger.warn("no TLS certificate to reload: KEYWARD_TLS_CERT and KEYWARD_TLS_KEY are not set");
          return false;
        }
        try {
          const fresh = await readTlsCredentials(config.tls);
          // Replaces the context new handshakes use; established TLS sessions keep the one they negotiated.
          (app.server as unknown as HttpsServer).setSecureContext(apiSecureContext(fresh));
          logCertificate(logger, fresh, "reloaded the TLS certificate; new connections use it");
          return true;
        } catch (err) {
          logger.error(
            { err },
            "reloading the TLS certificate failed; the previous certificate stays in use",
          );
          return false;
        }
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

/** Logs which certificate is in use (public facts only, never the key) and warns when it is (nearly) expired. */
function logCertificate(logger: Logger, credentials: TlsCredentials, message: string): void {
  const details = {
    fingerprint256: credentials.fingerprint256,
    subject: credentials.subject,
    subjectAltName: credentials.subjectAltName,
    notAfter: new Date(credentials.notAfterMs).toISOString(),
  };
  logger.info(details, message);
  const warning = describeCertificateValidity(credentials, Date.now());
  if (warning !== null) logger.warn(details, warning);
}
