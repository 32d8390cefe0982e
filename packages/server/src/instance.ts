import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { digestKey } from "@keyward/core/digest-key.js";
import { newId } from "@keyward/core/ids.js";
import { DEFAULT_KEY_PREFIX } from "@keyward/core/key-format.js";
import { parseKeyPolicies } from "@keyward/core/key-policies.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { SpikeDetector } from "@keyward/core/spike-detector.js";
import { AuditLog } from "./audit/audit-log.js";
import { AuditSigner } from "./audit/audit-signer.js";
import { isCommonPassword } from "./auth/common-passwords.js";
import { Argon2PasswordHasher } from "./auth/password-hasher.js";
import type { Config } from "./config.js";
import { newEvent } from "./events/new-event.js";
import type { CachedKind, InvalidationBus, InvalidationListener } from "./invalidation/invalidation-bus.js";
import { openInvalidationBus } from "./invalidation/open-invalidation-bus.js";
import { sealSecret } from "./kms/envelope.js";
import type { Kms } from "./kms/kms.js";
import { closeKms, openKms } from "./kms/open-kms.js";
import { PepperRing } from "./kms/pepper-ring.js";
import { openRateLimiter } from "./limits/open-rate-limiter.js";
import type { LimiterOutageOutcome, RateLimiter } from "./limits/rate-limiter.js";
import { instrumentLimiter } from "./monitor/instrumented-limiter.js";
import { instrumentStores } from "./monitor/instrumented-stores.js";
import { createMetrics, type LimiterOutageSource, type Metrics } from "./monitor/metrics.js";
import { AlertService } from "./services/alert-service.js";
import { AnomalyAlerts } from "./services/anomaly-alerts.js";
import { AuditService } from "./services/audit-service.js";
import { AuthService } from "./services/auth-service.js";
import { BruteForceGuard, type BruteForceSuspect } from "./services/brute-force-guard.js";
import { type Clock, systemClock } from "./services/clock.js";
import { IdentityService } from "./services/identity-service.js";
import { KeyLimits } from "./services/key-limits.js";
import { KeyRoleService } from "./services/key-role-service.js";
import { KeyService } from "./services/key-service.js";
import { type LifecycleReport, LifecycleScheduler } from "./services/lifecycle-scheduler.js";
import { NewSourceDetector } from "./services/new-source-detector.js";
import { ProjectService } from "./services/project-service.js";
import { RatelimitService } from "./services/ratelimit-service.js";
import { SecretService } from "./services/secret-service.js";
import { mintToken, TokenService } from "./services/token-service.js";
import { TrafficDetectors } from "./services/traffic-detectors.js";
import { UsageAnalytics } from "./services/usage-analytics.js";
import { UsageService } from "./services/usage-service.js";
import { UserService } from "./services/user-service.js";
import { WebhookService } from "./services/webhook-service.js";
import type { AlertRecord } from "./store/alert-records.js";
import { DEFAULT_PROJECT_SETTING, type KeyStore } from "./store/key-store.js";
import { FIRST_PEPPER_NAME } from "./store/pepper-store.js";
import { POSTGRES_MIGRATIONS } from "./store/postgres-migrations.js";
import { openPostgresStores } from "./store/postgres-stores.js";
import { SQLITE_MIGRATIONS } from "./store/sqlite-migrations.js";
import { openSqliteStores } from "./store/sqlite-stores.js";
import type { Stores } from "./store/stores.js";
import { WebhookDeliveryWorker } from "./webhooks/delivery-worker.js";

/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = "keyward.db";

/** Everything a running Keyward needs, opened from configuration. */
export interface Instance {
  /** The key store, which owns the connection shared by `stores`. */
  store: KeyStore;
  stores: Stores;
  kms: Kms;
  keys: KeyService;
  /** Alerts the anomaly detectors raised (`GET /v1/alerts`). */
  alerts: AlertService;
  /** The tamper-evident audit log: listing, verification, checkpoints (`/v1/audit`). */
  audit: AuditService;
  /** Raises alerts from what verification sees; flushed on close. */
  anomalies: AnomalyAlerts;
  /** The spike and new-source detectors; null when `KEYWARD_ANOMALY_DETECTION_ENABLED=false`. */
  detectors: TrafficDetectors | null;
  tokens: TokenService;
  projects: ProjectService;
  webhooks: WebhookService;
  /** The secrets vault (`/v1/secrets`) and the reveal of recoverable keys (`POST /v1/keys/{id}/reveal`). */
  secrets: SecretService;
  /** Logins, sessions, second factors and step-up of admin users (`/v1/auth`). */
  auth: AuthService;
  /** Admin users and their roles (`/v1/users`). */
  users: UserService;
  /** The permissions and roles keys can hold (`/v1/roles`, `/v1/permissions`, `/v2/permissions.*`). */
  keyRoles: KeyRoleService;
  /** Identities: shared meta and rate limits of the keys of one owner (`/v1/identities`, `/v2/identities.*`). */
  identities: IdentityService;
  /** Applies key policies in the background; started by {@link Instance.startBackgroundJobs}. */
  scheduler: LifecycleScheduler;
  /** Sends webhooks from the outbox; started by {@link Instance.startBackgroundJobs}. */
  deliveries: WebhookDeliveryWorker;
  /** Counts rate limits and quotas: in-process, or in Redis for every process. */
  limiter: RateLimiter;
  /** Standalone rate limits (`POST /v1/ratelimit`) and their overrides. */
  ratelimits: RatelimitService;
  /** Usage reports per key and per project (`GET /v1/keys/{id}/usage`, `GET /v1/usage`). */
  usage: UsageService;
  /** Counts verification outcomes for the usage reports; null when `KEYWARD_ANALYTICS_ENABLED=false`. */
  analytics: UsageAnalytics | null;
  clock: Clock;
  /** Prometheus metrics of this instance (`GET /metrics`). */
  metrics: Metrics;
  /** Tells the other nodes which cached records this one changed, and this one what they changed; null alone. */
  invalidations: InvalidationBus | null;
  /** The live versions of the digest pepper, reloaded every `KEYWARD_PEPPER_REFRESH_SECONDS`. */
  peppers: PepperRing;
  /** The root token's plaintext when this call initialized the store; null otherwise. Show it once. */
  rootToken: string | null;
  /** Starts the scheduler and the webhook worker, as far as the configuration enables them. */
  startBackgroundJobs(): void;
  /**
   * What `/readyz` reports. Throws STORE_UNAVAILABLE when the store does not answer, NOT_READY when its schema is
   * older than this build's migrations; a rate limiter that does not answer is reported, not fatal, since every
   * node shares it and the fail-open/closed configuration decides what verification does meanwhile.
   */
  checkReadiness(): Promise<Readiness>;
  /** Stops background jobs, flushes batched usage and closes the store. */
  close(): Promise<void>;
}

/** The state `/readyz` reports. */
export interface Readiness {
  store: "ok";
  migrations: "current";
  rateLimiter: "ok" | "unavailable";
  /** Whether this node hears other nodes' changes; while reconnecting, its cache TTL bounds how stale it can be. */
  cacheInvalidation: "listening" | "reconnecting" | "off";
}

/** Reports from the background jobs, for the log. */
export interface BackgroundReporter {
  onUsageWriteError?(error: unknown): void;
  onSchedulerError?(error: unknown): void;
  onSchedulerRun?(report: LifecycleReport): void;
  onDeliveryError?(error: unknown): void;
  /** The rate limiter could not be reached: who met the outage and what it did (also counted in metrics). */
  onLimiterUnavailable?(
    error: unknown,
    outage: { source: LimiterOutageSource; outcome: LimiterOutageOutcome },
  ): void;
  /** An event outside any change's transaction (`verify.brute_force`) could not be written; it is lost. */
  onEventWriteError?(error: unknown): void;
  /** A change could not be announced to the other nodes; they serve their cached copy until their cache TTL. */
  onInvalidationError?(error: unknown): void;
  /** This node dropped all its caches: its invalidation connection dropped or came back. */
  onInvalidationGap?(): void;
  /** An anomaly detector raised a new alert (deduplicated: one storm, one alert). */
  onAlert?(alert: AlertRecord): void;
  /** An alert could not be stored; it is lost. */
  onAlertError?(error: unknown): void;
  /** A refused request could not be recorded in the audit log (the refusal itself stands). */
  onAuditError?(error: unknown): void;
  /** The pepper versions could not be reloaded; this node keeps the versions it has and tries again later. */
  onPepperRefreshError?(error: unknown): void;
}

/** Options for {@link openInstance}: real dependencies by default, replaceable in tests. */
export interface OpenInstanceOptions extends BackgroundReporter {
  config: Config;
  stores?: Stores;
  kms?: Kms;
  clock?: Clock;
  /** Jitter for webhook retries, in [0, 1). */
  random?: () => number;
  limiter?: RateLimiter;
  metrics?: Metrics;
  /** The invalidation bus; by default the configured one (`KEYWARD_CACHE_INVALIDATION`), null for none. */
  invalidations?: InvalidationBus | null;
}

/** What webhook requests send as their user agent. */
export const WEBHOOK_USER_AGENT = "Keyward-Webhooks/1.0 (+https://www.standardwebhooks.com/)";

/**
 * Opens the store and KMS, initializes an empty store (pepper, default project, root token) in one transaction,
 * and unseals the pepper. Throws MASTER_KEY_MISMATCH when the master key cannot open this store's pepper.
 */
export async function openInstance(options: OpenInstanceOptions): Promise<Instance> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const kms = options.kms ?? openKms(config);
  const metrics = options.metrics ?? createMetrics();
  // Every store and limiter call is timed and its failures counted, without a line in the implementations.
  const stores = instrumentStores(options.stores ?? openConfiguredStores(config), metrics);
  const store = stores.keys;
  const limiter = instrumentLimiter(options.limiter ?? openRateLimiter(config), metrics);
  metrics.trackWebhookQueueDepth(() => stores.webhooks.countPendingDeliveries());
  const invalidations =
    options.invalidations === undefined ? openInvalidationBus(config) : options.invalidations;
  try {
    await store.migrate();
    const { peppers, rootToken } = await initializeOrUnseal(stores, kms, clock);
    // Before any service can change anything: every audit entry from here on is sealed.
    const auditSigner = await AuditSigner.open({ store: stores.audit, kms, nowMs: clock.now() });
    stores.audit.useEntryMac((hash) => auditSigner.sealOf(hash));
    const announce =
      (kind: CachedKind) =>
      async (ids: readonly string[]): Promise<void> => {
        if (invalidations === null) return;
        try {
          await invalidations.publish({ kind, ids });
          metrics.invalidation("sent", kind);
        } catch (error) {
          metrics.invalidation("failed", kind);
          options.onInvalidationError?.(error);
        }
      };
    const services = createServices({
      stores,
      auditSigner,
      kms,
      limiter,
      metrics,
      peppers,
      clock,
      config,
      options,
      announce,
    });
    await invalidations?.listen(cacheListener(services, metrics, options));
    // After listening: a role change announced from now on is heard, one committed before is read here.
    await services.keyRoles.load();
    // After listening: an import announced from now on is heard, one committed before is read here.
    await services.keys.refreshImports();
    services.keys.usage.start(config.usageFlushIntervalMs);
    services.keys.lookup.redigests.start(config.usageFlushIntervalMs);
    services.tokens.lookup.redigests.start(config.usageFlushIntervalMs);
    const pepperRefresh = setInterval(() => {
      peppers.refresh().catch((error: unknown) => options.onPepperRefreshError?.(error));
      services.keys.refreshImports().catch((error: unknown) => options.onPepperRefreshError?.(error));
    }, config.pepperRefreshIntervalMs);
    pepperRefresh.unref();
    services.keys.quotaBalances.start(config.usageFlushIntervalMs);
    services.tokens.usage.start(config.usageFlushIntervalMs);
    services.analytics?.start(config.usageFlushIntervalMs);
    services.detectors?.start(config.usageFlushIntervalMs);
    return {
      store,
      stores,
      limiter,
      kms,
      clock,
      metrics,
      invalidations,
      peppers,
      rootToken,
      ...services,
      async checkReadiness() {
        await store.ping();
        if ((await store.schemaVersion()) < latestSchemaVersion(config)) {
          throw new KeywardError(
            "NOT_READY",
            "The store's schema is older than this build: run keyward migrate.",
          );
        }
        let rateLimiter: Readiness["rateLimiter"] = "ok";
        try {
          await limiter.ping();
        } catch {
          rateLimiter = "unavailable";
        }
        const listening = invalidations?.state();
        const cacheInvalidation =
          listening === undefined ? "off" : listening === "listening" ? "listening" : "reconnecting";
        return { store: "ok", migrations: "current", rateLimiter, cacheInvalidation };
      },
      startBackgroundJobs() {
        if (config.schedulerEnabled) services.scheduler.start();
        if (config.webhookDeliveryEnabled) services.deliveries.start();
      },
      async close() {
        clearInterval(pepperRefresh);
        await services.scheduler.stop();
        await services.deliveries.stop();
        await services.keys.usage.stop();
        await services.keys.lookup.redigests.stop();
        await services.tokens.lookup.redigests.stop();
        await services.keys.quotaBalances.stop();
        // Before the alerts' flush: the last new-source pairs written may raise alerts.
        await services.detectors?.stop();
        await services.anomalies.flush();
        await services.tokens.usage.stop();
        await services.analytics?.stop();
        await invalidations?.close();
        await limiter.close();
        await store.close();
        // Only the Kms opened here: a caller's own Kms stays the caller's to close.
        if (options.kms === undefined) closeKms(kms);
      },
    };
  } catch (error) {
    await invalidations?.close();
    await limiter.close();
    await store.close();
    if (options.kms === undefined) closeKms(kms);
    throw error;
  }
}

/** Drops what other nodes changed from this node's caches, and everything when messages may have been missed. */
function cacheListener(
  services: Services,
  metrics: Metrics,
  reporter: BackgroundReporter,
): InvalidationListener {
  const caches: Record<CachedKind, { forgetCached(ids: readonly string[]): void; forgetAllCached(): void }> =
    {
      key: services.keys,
      token: services.tokens,
      project: services.projects,
      ratelimit_override: services.ratelimits,
      role: services.keyRoles,
      identity: services.identities,
    };
  return {
    onInvalidation({ kind, ids }) {
      caches[kind].forgetCached(ids);
      // Imported keys are announced too: this node must look for them at once.
      if (kind === "key") services.keys.noteKeysChangedElsewhere();
      metrics.invalidation("received", kind);
    },
    onGap() {
      for (const cache of Object.values(caches)) cache.forgetAllCached();
      services.keys.noteKeysChangedElsewhere();
      metrics.invalidationGap();
      reporter.onInvalidationGap?.();
    },
  };
}

/** The schema version this build's migrations bring the configured store to. */
export function latestSchemaVersion(config: Config): number {
  const migrations = config.databaseUrl === null ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
  return Math.max(...migrations.map((m) => m.version));
}

/** The configured stores: PostgreSQL when `KEYWARD_DATABASE_URL` is set, the embedded SQLite file otherwise. */
export function openConfiguredStores(config: Config): Stores {
  if (config.databaseUrl !== null) {
    return openPostgresStores({
      connectionString: config.databaseUrl,
      schema: config.databaseSchema,
      maxConnections: config.databasePoolSize,
    });
  }
  return openSqliteStores({
    path: join(config.dataDir, DATABASE_FILE),
    cacheSizeMiB: config.sqliteCacheMiB,
    mmapSizeMiB: config.sqliteMmapMiB,
  });
}

type Services = Pick<
  Instance,
  | "keys"
  | "alerts"
  | "audit"
  | "anomalies"
  | "detectors"
  | "tokens"
  | "projects"
  | "webhooks"
  | "secrets"
  | "auth"
  | "users"
  | "keyRoles"
  | "identities"
  | "scheduler"
  | "deliveries"
  | "ratelimits"
  | "usage"
  | "analytics"
>;

function createServices(input: {
  stores: Stores;
  auditSigner: AuditSigner;
  kms: Kms;
  limiter: RateLimiter;
  metrics: Metrics;
  peppers: PepperRing;
  clock: Clock;
  config: Config;
  options: OpenInstanceOptions;
  /** Tells the other nodes about a change to records of one kind. */
  announce: (kind: CachedKind) => (ids: readonly string[]) => Promise<void>;
}): Services {
  const { stores, auditSigner, kms, limiter, metrics, peppers, clock, config, options, announce } = input;
  // Every limiter outage is counted and reported to the log: never silent.
  const reportOutage =
    (source: LimiterOutageSource) =>
    (error: unknown, outcome: LimiterOutageOutcome): void => {
      metrics.limiterUnavailable(source, outcome);
      options.onLimiterUnavailable?.(error, { source, outcome });
    };
  const store = stores.keys;
  const onError =
    options.onUsageWriteError === undefined ? {} : { onUsageWriteError: options.onUsageWriteError };
  const projects = new ProjectService({
    store,
    clock,
    defaultProjectId: () => store.readInstanceSetting(DEFAULT_PROJECT_SETTING),
    policyCacheTtlMs: config.cacheTtlMs,
    announceChanges: announce("project"),
  });
  const deliveries = new WebhookDeliveryWorker({
    store: stores.webhooks,
    kms,
    clock,
    concurrency: config.webhookConcurrency,
    timeoutMs: config.webhookTimeoutMs,
    pollIntervalMs: config.webhookPollIntervalMs,
    schedule: {
      firstDelayMs: config.webhookFirstRetryMs,
      maxDelayMs: Math.max(config.webhookFirstRetryMs, 3_600_000),
      giveUpAfterMs: config.webhookRetryWindowMs,
    },
    userAgent: WEBHOOK_USER_AGENT,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.onDeliveryError === undefined ? {} : { onError: options.onDeliveryError }),
  });
  const onEvents = () => deliveries.wake();
  const cache = { cacheMaxEntries: config.cacheMaxEntries, cacheTtlMs: config.cacheTtlMs };
  const limits = new KeyLimits({
    limiter,
    writeBalances: (entries) => store.recordQuotaBalances(entries),
    rateLimitsFailOpen: config.rateLimitsFailOpen,
    quotaFailOpen: config.quotaFailOpen,
    onLimiterUnavailable: reportOutage("verify"),
    ...(options.onUsageWriteError === undefined ? {} : { onBalanceWriteError: options.onUsageWriteError }),
  });
  const bruteForce = new BruteForceGuard({
    limiter,
    limit: config.bruteForceLimit,
    windowMs: config.bruteForceWindowMs,
    onSuspected: (suspect) => void reportBruteForce(suspect),
    onLimiterUnavailable: reportOutage("brute_force"),
  });
  // A `brute_force` alert (one per source and storm), and a `verify.brute_force` event for webhooks, in the
  // suspect's project or the default.
  const reportBruteForce = async (suspect: BruteForceSuspect): Promise<void> => {
    if (config.anomalyDetectionEnabled) {
      anomalies.report({
        type: "brute_force",
        key: null,
        projectId: suspect.projectId,
        source: `${suspect.kind}:${suspect.id}`,
        details: {
          source: { kind: suspect.kind, id: suspect.id },
          code: "NOT_FOUND",
          ip: suspect.kind === "ip" ? suspect.id : null,
          limit: config.bruteForceLimit,
          windowMs: suspect.windowMs,
        },
        atMs: clock.now(),
      });
    }
    try {
      const projectId = suspect.projectId ?? (await store.readInstanceSetting(DEFAULT_PROJECT_SETTING));
      if (projectId === null) return;
      await stores.webhooks.appendEvents([
        newEvent({
          type: "verify.brute_force",
          projectId,
          keyId: null,
          data: {
            source: { kind: suspect.kind, id: suspect.id },
            limit: config.bruteForceLimit,
            windowMs: suspect.windowMs,
          },
          nowMs: clock.now(),
        }),
      ]);
      deliveries.wake();
    } catch (error) {
      options.onEventWriteError?.(error);
    }
  };
  const analytics = config.analyticsEnabled
    ? new UsageAnalytics({
        store,
        clock,
        minuteRetentionMs: config.usageMinuteRetentionMs,
        hourRetentionMs: config.usageHourRetentionMs,
        ...(options.onUsageWriteError === undefined ? {} : { onError: options.onUsageWriteError }),
      })
    : null;
  const anomalies = new AnomalyAlerts({
    store,
    clock,
    metrics,
    defaultProjectId: () => store.readInstanceSetting(DEFAULT_PROJECT_SETTING),
    onEvents,
    ...(options.onAlert === undefined ? {} : { onAlert: options.onAlert }),
    ...(options.onAlertError === undefined ? {} : { onAlertError: options.onAlertError }),
  });
  const report = anomalies.report.bind(anomalies);
  const detectors = config.anomalyDetectionEnabled
    ? new TrafficDetectors({
        spikes: new SpikeDetector({
          factor: config.spikeFactor,
          minCount: config.spikeMinRequests,
          bucketMs: config.spikeBucketMs,
        }),
        newSources: new NewSourceDetector({
          store: stores.sourceNetworks,
          report,
          thresholds: { minHistoryMs: config.newSourceMinHistoryMs },
          ...(options.onUsageWriteError === undefined ? {} : { onError: options.onUsageWriteError }),
        }),
        report,
      })
    : null;
  const identities = new IdentityService({
    store: stores.identities,
    clock,
    cacheMaxEntries: config.cacheMaxEntries,
    cacheTtlMs: config.cacheTtlMs,
    announceChanges: announce("identity"),
  });
  const keyRoles = new KeyRoleService({
    store: stores.keyRoles,
    clock,
    catalogueTtlMs: config.cacheTtlMs,
    announceChanges: announce("role"),
    ...(options.onInvalidationError === undefined ? {} : { onReloadError: options.onInvalidationError }),
  });
  const keys = new KeyService({
    roles: keyRoles,
    identities,
    ...(analytics === null ? {} : { analytics }),
    ...(detectors === null ? {} : { detectors }),
    alerts: anomalies,
    audit: stores.audit,
    store,
    projects,
    limits,
    bruteForce,
    peppers,
    redigest: (swaps) => stores.peppers.redigestKeys(swaps),
    onRedigested: (count) => metrics.pepperRedigests("key", count),
    kms,
    clock,
    keyBytes: config.keyBytes,
    onEvents,
    announceChanges: announce("key"),
    cacheMetrics: metrics,
    ...cache,
    ...onError,
  });
  const auditLog = new AuditLog({
    store: stores.audit,
    signer: auditSigner,
    checkpointEvery: config.auditCheckpointEvery,
    retentionMs: config.auditRetentionMs,
  });
  const scheduler = new LifecycleScheduler({
    audit: auditLog,
    keys: store,
    lifecycle: stores.lifecycle,
    webhooks: stores.webhooks,
    clock,
    policiesFor: (project) => parseKeyPolicies(project.policies),
    intervalMs: config.schedulerIntervalMs,
    eventRetentionMs: config.eventRetentionMs,
    expiredLookbackMs: 7 * 86_400_000,
    onRevoked: (key) => {
      keys.forgetCached([key.id]);
      void announce("key")([key.id]);
    },
    onEvents,
    ...(options.onSchedulerRun === undefined ? {} : { onRun: options.onSchedulerRun }),
    ...(options.onSchedulerError === undefined ? {} : { onError: options.onSchedulerError }),
  });
  const hasher = new Argon2PasswordHasher();
  const auth = new AuthService({
    users: stores.users,
    audit: stores.audit,
    kms,
    limiter,
    hasher,
    clock,
    policy: {
      require2fa: config.require2fa,
      idleTimeoutMs: config.sessionIdleTimeoutMs,
      absoluteTimeoutMs: config.sessionMaxAgeMs,
    },
  });
  return {
    projects,
    keys,
    keyRoles,
    identities,
    auth,
    users: new UserService({ users: stores.users, projects, auth, hasher, isCommonPassword, clock }),
    usage: new UsageService({ store, projects, clock }),
    analytics,
    alerts: new AlertService({ store, clock }),
    audit: new AuditService({
      log: auditLog,
      clock,
      ...(options.onAuditError === undefined ? {} : { onRecordError: options.onAuditError }),
    }),
    anomalies,
    detectors,
    tokens: new TokenService({
      store,
      projects,
      peppers,
      redigest: (swaps) => stores.peppers.redigestTokens(swaps),
      onRedigested: (count) => metrics.pepperRedigests("token", count),
      clock,
      announceChanges: announce("token"),
      ...cache,
      ...onError,
    }),
    webhooks: new WebhookService({
      store: stores.webhooks,
      projects,
      kms,
      clock,
      allowInsecureHttp: config.webhookAllowInsecureHttp,
      onEvents,
    }),
    secrets: new SecretService({
      store: stores.secrets,
      keys: store,
      projects,
      kms,
      limiter,
      audit: stores.audit,
      clock,
      revealLimit: { limit: config.revealLimitPerMinute, windowMs: 60_000 },
    }),
    scheduler,
    deliveries,
    ratelimits: new RatelimitService({
      limiter,
      store,
      clock,
      failOpen: config.rateLimitsFailOpen,
      overrideCacheTtlMs: config.cacheTtlMs,
      onLimiterUnavailable: reportOutage("ratelimit"),
      announceChanges: announce("ratelimit_override"),
    }),
  };
}

/**
 * Loads and unseals the pepper versions of an initialized store, or initializes an empty one (first pepper,
 * default project, root token) in one transaction. When two processes initialize at once, the loser uses the
 * winner's pepper and prints no root token. Throws MASTER_KEY_MISMATCH when the KMS cannot open the pepper.
 */
async function initializeOrUnseal(
  stores: Stores,
  kms: Kms,
  clock: Clock,
): Promise<{ peppers: PepperRing; rootToken: string | null }> {
  const source = { store: stores.peppers, kms, clock };
  if ((await stores.peppers.listPeppers()).length > 0) {
    return { peppers: await PepperRing.open(source), rootToken: null };
  }
  const pepper = randomBytes(32);
  const now = clock.now();
  const root = mintToken(
    { name: "root", permissions: ["*"], projectIds: null, createdBy: null },
    { digestOf: (token) => ({ digest: digestKey(token, pepper), pepperVersion: 1 }), nowMs: now },
  );
  const won = await stores.keys.bootstrap({
    sealedPepper: JSON.stringify(await sealSecret(kms, pepper, FIRST_PEPPER_NAME)),
    defaultProject: {
      id: newId("proj", { now }),
      name: "default",
      keyPrefix: DEFAULT_KEY_PREFIX,
      policies: {},
      ipAllowlist: null,
      timezone: "UTC",
      recoverableKeys: false,
      require2fa: false,
      createdAt: now,
    },
    rootToken: root.newToken,
  });
  if (won) {
    return {
      peppers: new PepperRing([{ version: 1, pepper, activatesAt: now }], clock, source),
      rootToken: root.token,
    };
  }
  return { peppers: await PepperRing.open(source), rootToken: null };
}

/** The KMS this configuration names, for commands that work on sealed values without a server. */
export async function openConfiguredKms(config: Config): Promise<Kms> {
  return openKms(config);
}
