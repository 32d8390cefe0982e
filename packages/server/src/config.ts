import { DEFAULT_KEY_BYTES, MAX_KEY_BYTES, MIN_KEY_BYTES } from "@keyward/core/key-format.js";
import { type FieldError, KeywardError } from "@keyward/core/keyward-error.js";

/** Keyward's whole configuration: parsed once at start, validated, frozen, then injected. */
export interface Config {
  /** Directory holding the SQLite database and `master.key`. */
  readonly dataDir: string;
  /** The master key from `KEYWARD_MASTER_KEY` (32 bytes), or null to use `<dataDir>/master.key`. */
  readonly masterKey: Buffer | null;
  /**
   * Older master key versions from `KEYWARD_MASTER_KEY=old,new` that still unwrap data sealed before a rotation
   * (empty with one key, or with the `master.key` keyring file, which holds its own versions).
   */
  readonly previousMasterKeys: readonly Buffer[];
  /** Where the master key lives: `local` (`master.key` or `KEYWARD_MASTER_KEY`) or `pkcs11` (an HSM; docs/kms.md). */
  readonly kms: "local" | "pkcs11";
  /** The PKCS#11 token holding the master key when `kms` is `pkcs11`; null otherwise. */
  readonly pkcs11: Pkcs11Config | null;
  readonly host: string;
  readonly port: number;
  /**
   * The PEM certificate (chain) and private key files to serve HTTPS with (`KEYWARD_TLS_CERT`, `KEYWARD_TLS_KEY`),
   * or null for plain HTTP. The files are read and checked when the server starts, and again on SIGHUP.
   */
  readonly tls: { readonly certPath: string; readonly keyPath: string } | null;
  /**
   * Allow plain HTTP on an address other than loopback (`KEYWARD_INSECURE_HTTP`, `serve --insecure-http`), for a
   * node behind a TLS-terminating proxy; without TLS files it is refused there.
   */
  readonly insecureHttp: boolean;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Log one line per HTTP request (off by default: the verify hot path should not pay for it). */
  readonly logRequests: boolean;
  /** Random bytes in the body of every new key (16–64). */
  readonly keyBytes: number;
  readonly cacheMaxEntries: number;
  readonly cacheTtlMs: number;
  /** How nodes tell each other which cached records changed: PostgreSQL LISTEN/NOTIFY, Redis pub/sub, or none. */
  readonly cacheInvalidation: "postgres" | "redis" | "off";
  /** How often batched `lastUsedAt` and verification counts are written. */
  readonly usageFlushIntervalMs: number;
  readonly bodyLimitBytes: number;
  /** SQLite page cache in MiB. */
  readonly sqliteCacheMiB: number;
  /** SQLite mmap window in MiB (address space, not resident memory). */
  readonly sqliteMmapMiB: number;
  /** Run the lifecycle scheduler (expiry and rotation notices, inactivity revocation) in this process. */
  readonly schedulerEnabled: boolean;
  readonly schedulerIntervalMs: number;
  /** Deliver webhooks from this process. */
  readonly webhookDeliveryEnabled: boolean;
  /** Per-request timeout of a webhook delivery. */
  readonly webhookTimeoutMs: number;
  /** Webhook requests in flight at once. */
  readonly webhookConcurrency: number;
  /** How often the delivery queue is checked when nothing new was written in this process. */
  readonly webhookPollIntervalMs: number;
  /** Delay before the first retry; later retries double it, up to an hour. */
  readonly webhookFirstRetryMs: number;
  /** How long a delivery is retried before it is marked failed. */
  readonly webhookRetryWindowMs: number;
  /** Allow plain-http webhook URLs to hosts other than loopback. */
  readonly webhookAllowInsecureHttp: boolean;
  /** How long events (and their finished deliveries) are kept. */
  readonly eventRetentionMs: number;
  /** PostgreSQL (`postgres://…`) instead of the embedded SQLite database, or null for SQLite. */
  readonly databaseUrl: string | null;
  /** The PostgreSQL schema Keyward's tables live in. */
  readonly databaseSchema: string;
  /** Most pooled PostgreSQL connections per process. */
  readonly databasePoolSize: number;
  /** Redis for rate limits and quotas shared by every process (`redis://…`), or null for in-process counting. */
  readonly redisUrl: string | null;
  /** Prefix of every Redis key Keyward writes. */
  readonly redisPrefix: string;
  /** When the limiter is down, let requests to keys with rate limits (and no quota) through uncounted. */
  readonly rateLimitsFailOpen: boolean;
  /** When the limiter is down, let requests to keys with a quota through without spending it. */
  readonly quotaFailOpen: boolean;
  /** Failed verifications allowed per source address and window before the source is throttled; 0 = off. */
  readonly bruteForceLimit: number;
  readonly bruteForceWindowMs: number;
  /**
   * On SIGTERM, how long to keep serving while `/readyz` answers 503, so load balancers stop sending requests
   * before the node stops listening (connections still queued when it closes would be reset).
   */
  readonly shutdownDelayMs: number;
  /**
   * A separate listener (`KEYWARD_METRICS_LISTEN=host:port`) serving `GET /metrics` without authentication, for
   * a scraper on a private interface; null serves metrics only on the main port, to tokens with `metrics:read`.
   */
  readonly metricsListen: { readonly host: string; readonly port: number } | null;
  /** Count verification outcomes per key, code and minute for the usage API (`KEYWARD_ANALYTICS_ENABLED`). */
  readonly analyticsEnabled: boolean;
  /** How long minute usage buckets are kept (hour and day buckets cover older ranges). */
  readonly usageMinuteRetentionMs: number;
  /** How long hour usage buckets are kept; day buckets are kept for good. */
  readonly usageHourRetentionMs: number;
  /** A signed audit checkpoint at every multiple of this many entries (`KEYWARD_AUDIT_CHECKPOINT_EVERY`). */
  readonly auditCheckpointEvery: number;
  /** Secrets and recoverable keys one token may reveal per minute (`KEYWARD_REVEAL_LIMIT_PER_MINUTE`). */
  readonly revealLimitPerMinute: number;
  /**
   * How often a server reloads the pepper versions (`KEYWARD_PEPPER_REFRESH_SECONDS`): a rotated pepper
   * activates only after every server has had time to load it (`keyward kms pepper-rotate`).
   */
  readonly pepperRefreshIntervalMs: number;
  /** Every admin user must have two-factor authentication (`KEYWARD_REQUIRE_2FA`); until then they can only enrol. */
  readonly require2fa: boolean;
  /** A user's session unused this long ends (`KEYWARD_SESSION_IDLE_MINUTES`, default 30). */
  readonly sessionIdleTimeoutMs: number;
  /** A user's session ends this long after login, used or not (`KEYWARD_SESSION_MAX_HOURS`, default 12). */
  readonly sessionMaxAgeMs: number;
  /**
   * Audit entries older than this are pruned behind a signed checkpoint (`KEYWARD_AUDIT_RETENTION_DAYS`); null,
   * the default, keeps them for good.
   */
  readonly auditRetentionMs: number | null;
  /**
   * Run the traffic anomaly detectors: `spike`, `new_source` and `brute_force` alerts
   * (`KEYWARD_ANOMALY_DETECTION_ENABLED`). Canary and dead-key alerts do not depend on it.
   */
  readonly anomalyDetectionEnabled: boolean;
  /** A key's requests in one bucket spike at this many times its baseline (docs/alerts.md)… */
  readonly spikeFactor: number;
  /** …and at least this many requests per bucket, on one node. */
  readonly spikeMinRequests: number;
  /** The spike detector's bucket. */
  readonly spikeBucketMs: number;
  /** A key's use from a new network alerts only once the key was first seen at least this long before. */
  readonly newSourceMinHistoryMs: number;
}

/** The PKCS#11 token that holds the master key (`KEYWARD_KMS=pkcs11`); never from the command line. */
export interface Pkcs11Config {
  /** The HSM vendor's PKCS#11 module (`KEYWARD_PKCS11_MODULE`, a `.so` path). */
  readonly modulePath: string;
  /** The token by label (`KEYWARD_PKCS11_TOKEN_LABEL`), or null to pick it by `slot`. */
  readonly tokenLabel: string | null;
  /** The token by slot id (`KEYWARD_PKCS11_SLOT`), or null to pick it by `tokenLabel`. */
  readonly slot: number | null;
  /** The user PIN (`KEYWARD_PKCS11_PIN`), or null to read it from `pinFile`. */
  readonly pin: string | null;
  /** A file holding the user PIN, mode 0600 (`KEYWARD_PKCS11_PIN_FILE`), read when the KMS opens; or null. */
  readonly pinFile: string | null;
  /** CKA_LABEL of the master key's versions in the token (`KEYWARD_PKCS11_KEY_LABEL`). */
  readonly keyLabel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const CACHE_INVALIDATION_CHOICES = ["auto", "postgres", "redis", "off"] as const;
const KMS_CHOICES = ["local", "pkcs11"] as const;
const PKCS11_VARIABLES = [
  "KEYWARD_PKCS11_MODULE",
  "KEYWARD_PKCS11_TOKEN_LABEL",
  "KEYWARD_PKCS11_SLOT",
  "KEYWARD_PKCS11_PIN",
  "KEYWARD_PKCS11_PIN_FILE",
  "KEYWARD_PKCS11_KEY_LABEL",
] as const;

/** Parses configuration from environment variables (and explicit overrides), reporting every problem at once. */
export function parseConfig(env: Env, overrides: Partial<Config> = {}): Config {
  const errors: FieldError[] = [];

  function integer(name: string, fallback: number, min: number, max: number): number {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    // Digits only: Number() would also accept "0x1F90", "1e3" and " 8080 ".
    const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      errors.push({ pointer: `/${name}`, detail: `${name} must be an integer from ${min} to ${max}.` });
      return fallback;
    }
    return value;
  }

  function boolean(name: string, fallback: boolean): boolean {
    const raw = env[name]?.toLowerCase();
    if (raw === undefined || raw === "") return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    errors.push({ pointer: `/${name}`, detail: `${name} must be true or false.` });
    return fallback;
  }

  /** Every version in KEYWARD_MASTER_KEY (`old,new`: oldest first, the last current); empty when unset. */
  function masterKeys(): Buffer[] {
    const raw = env.KEYWARD_MASTER_KEY;
    if (raw === undefined || raw === "") return [];
    const keys: Buffer[] = [];
    for (const part of raw.split(",")) {
      const text = part.trim();
      const bytes = Buffer.from(text, "base64");
      // Round-trip check rejects strings that are not canonical base64 (Buffer.from ignores bad characters).
      if (bytes.length !== 32 || bytes.toString("base64") !== text) {
        errors.push({
          pointer: "/KEYWARD_MASTER_KEY",
          detail:
            "KEYWARD_MASTER_KEY must be 32 bytes in base64 (or several, comma-separated, oldest first).",
        });
        return [];
      }
      keys.push(bytes);
    }
    return keys;
  }
  const masterKeyVersions = masterKeys();

  function oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const found = values.find((v) => v === raw);
    if (found === undefined)
      errors.push({ pointer: `/${name}`, detail: `${name} must be one of ${values.join(", ")}.` });
    return found ?? fallback;
  }

  /** `auto` picks the engine every node already shares: PostgreSQL, else Redis, else none (one node). */
  function cacheInvalidation(
    databaseUrl: string | null,
    redisUrl: string | null,
  ): Config["cacheInvalidation"] {
    const chosen = oneOf("KEYWARD_CACHE_INVALIDATION", CACHE_INVALIDATION_CHOICES, "auto");
    if (chosen === "auto") return databaseUrl !== null ? "postgres" : redisUrl !== null ? "redis" : "off";
    const needs = chosen === "postgres" ? databaseUrl : chosen === "redis" ? redisUrl : "";
    if (needs === null) {
      const variable = chosen === "postgres" ? "KEYWARD_DATABASE_URL" : "KEYWARD_REDIS_URL";
      errors.push({
        pointer: "/KEYWARD_CACHE_INVALIDATION",
        detail: `KEYWARD_CACHE_INVALIDATION=${chosen} needs ${variable}.`,
      });
      return "off";
    }
    return chosen;
  }

  /** A URL of one of `protocols` (e.g. "redis:"), or null when unset; never echoed, it may hold a password. */
  function secretUrl(name: string, protocols: readonly string[], expected: string): string | null {
    const raw = env[name];
    if (raw === undefined || raw === "") return null;
    let protocol = "";
    try {
      protocol = new URL(raw).protocol;
    } catch {
      // Reported below.
    }
    if (!protocols.includes(protocol)) {
      errors.push({ pointer: `/${name}`, detail: `${name} must be a ${expected} URL.` });
      return null;
    }
    return raw;
  }

  function databaseSchema(): string {
    const raw = env.KEYWARD_DATABASE_SCHEMA;
    if (raw === undefined || raw === "") return "public";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
      errors.push({
        pointer: "/KEYWARD_DATABASE_SCHEMA",
        detail: "KEYWARD_DATABASE_SCHEMA must be a lower-case identifier (letters, digits, _).",
      });
      return "public";
    }
    return raw;
  }

  /** `host:port`, `[ipv6]:port` or a bare port (on 127.0.0.1), or null when unset. */
  function listenAddress(name: string): { host: string; port: number } | null {
    const raw = env[name];
    if (raw === undefined || raw === "") return null;
    const match = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):)?([0-9]{1,5})$/.exec(raw);
    const port = Number(match?.[3]);
    if (match === null || port > 65535) {
      errors.push({
        pointer: `/${name}`,
        detail: `${name} must be host:port, [ipv6]:port or a port from 0 to 65535.`,
      });
      return null;
    }
    return Object.freeze({ host: match[1] ?? match[2] ?? "127.0.0.1", port });
  }

  /** Both paths or neither: one alone is a mistake that would otherwise fall back to plain HTTP silently. */
  function tlsFiles(): Config["tls"] {
    const certPath = env.KEYWARD_TLS_CERT ?? "";
    const keyPath = env.KEYWARD_TLS_KEY ?? "";
    if (certPath === "" && keyPath === "") return null;
    if (certPath === "" || keyPath === "") {
      errors.push({
        pointer: certPath === "" ? "/KEYWARD_TLS_CERT" : "/KEYWARD_TLS_KEY",
        detail:
          "KEYWARD_TLS_CERT and KEYWARD_TLS_KEY must be set together (both PEM file paths), or neither.",
      });
      return null;
    }
    return Object.freeze({ certPath, keyPath });
  }

  /**
   * The HSM settings when `kms` is `pkcs11`: a module, one of token label or slot, one of PIN or PIN file. Set
   * without KEYWARD_KMS=pkcs11 they are refused rather than ignored, since ignoring them would put a master key on
   * disk for someone who believes it is in an HSM.
   */
  function pkcs11(kms: Config["kms"]): Pkcs11Config | null {
    const set = (name: (typeof PKCS11_VARIABLES)[number]): string | null => {
      const raw = env[name];
      return raw === undefined || raw === "" ? null : raw;
    };
    if (kms !== "pkcs11") {
      for (const name of PKCS11_VARIABLES) {
        if (set(name) !== null)
          errors.push({ pointer: `/${name}`, detail: `${name} needs KEYWARD_KMS=pkcs11.` });
      }
      return null;
    }
    const modulePath = set("KEYWARD_PKCS11_MODULE");
    if (modulePath === null) {
      errors.push({
        pointer: "/KEYWARD_PKCS11_MODULE",
        detail: "KEYWARD_KMS=pkcs11 needs KEYWARD_PKCS11_MODULE, the path of the HSM's PKCS#11 module (.so).",
      });
    }
    const tokenLabel = set("KEYWARD_PKCS11_TOKEN_LABEL");
    const slot =
      set("KEYWARD_PKCS11_SLOT") === null ? null : integer("KEYWARD_PKCS11_SLOT", 0, 0, 4_294_967_295);
    if ((tokenLabel === null) === (slot === null)) {
      errors.push({
        pointer: "/KEYWARD_PKCS11_TOKEN_LABEL",
        detail: "KEYWARD_KMS=pkcs11 needs exactly one of KEYWARD_PKCS11_TOKEN_LABEL and KEYWARD_PKCS11_SLOT.",
      });
    }
    const pin = set("KEYWARD_PKCS11_PIN");
    const pinFile = set("KEYWARD_PKCS11_PIN_FILE");
    if ((pin === null) === (pinFile === null)) {
      errors.push({
        pointer: "/KEYWARD_PKCS11_PIN_FILE",
        detail: "KEYWARD_KMS=pkcs11 needs exactly one of KEYWARD_PKCS11_PIN_FILE and KEYWARD_PKCS11_PIN.",
      });
    }
    const keyLabel = set("KEYWARD_PKCS11_KEY_LABEL") ?? "keyward-master";
    if (keyLabel.length > 64) {
      errors.push({
        pointer: "/KEYWARD_PKCS11_KEY_LABEL",
        detail: "KEYWARD_PKCS11_KEY_LABEL must be at most 64 characters.",
      });
    }
    if (masterKeyVersions.length > 0) {
      errors.push({
        pointer: "/KEYWARD_MASTER_KEY",
        detail: "KEYWARD_MASTER_KEY cannot be used with KEYWARD_KMS=pkcs11: the master key lives in the HSM.",
      });
    }
    return Object.freeze({ modulePath: modulePath ?? "", tokenLabel, slot, pin, pinFile, keyLabel });
  }

  const host = env.KEYWARD_HOST || "127.0.0.1";
  const databaseUrl = secretUrl(
    "KEYWARD_DATABASE_URL",
    ["postgres:", "postgresql:"],
    "postgres:// or postgresql://",
  );
  const redisUrl = secretUrl("KEYWARD_REDIS_URL", ["redis:", "rediss:"], "redis:// or rediss://");
  const kms = oneOf("KEYWARD_KMS", KMS_CHOICES, "local");
  const config: Config = {
    dataDir: env.KEYWARD_DATA_DIR || "./.keyward",
    masterKey: masterKeyVersions.at(-1) ?? null,
    previousMasterKeys: masterKeyVersions.slice(0, -1),
    kms,
    pkcs11: pkcs11(kms),
    host,
    port: integer("KEYWARD_PORT", 8080, 0, 65535),
    tls: tlsFiles(),
    insecureHttp: boolean("KEYWARD_INSECURE_HTTP", false),
    logLevel: oneOf("KEYWARD_LOG_LEVEL", LOG_LEVELS, "info"),
    logRequests: boolean("KEYWARD_LOG_REQUESTS", false),
    keyBytes: integer("KEYWARD_KEY_BYTES", DEFAULT_KEY_BYTES, MIN_KEY_BYTES, MAX_KEY_BYTES),
    cacheMaxEntries: integer("KEYWARD_CACHE_MAX_ENTRIES", 100_000, 0, 10_000_000),
    cacheTtlMs: integer("KEYWARD_CACHE_TTL_MS", 10_000, 0, 3_600_000),
    cacheInvalidation: cacheInvalidation(databaseUrl, redisUrl),
    usageFlushIntervalMs: integer("KEYWARD_USAGE_FLUSH_MS", 1_000, 10, 600_000),
    bodyLimitBytes: integer("KEYWARD_BODY_LIMIT_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
    sqliteCacheMiB: integer("KEYWARD_SQLITE_CACHE_MB", 64, 1, 65_536),
    sqliteMmapMiB: integer("KEYWARD_SQLITE_MMAP_MB", 1024, 0, 1_048_576),
    schedulerEnabled: boolean("KEYWARD_SCHEDULER_ENABLED", true),
    schedulerIntervalMs: integer("KEYWARD_SCHEDULER_INTERVAL_MS", 60_000, 100, 86_400_000),
    webhookDeliveryEnabled: boolean("KEYWARD_WEBHOOK_DELIVERY_ENABLED", true),
    webhookTimeoutMs: integer("KEYWARD_WEBHOOK_TIMEOUT_MS", 10_000, 100, 120_000),
    webhookConcurrency: integer("KEYWARD_WEBHOOK_CONCURRENCY", 8, 1, 256),
    webhookPollIntervalMs: integer("KEYWARD_WEBHOOK_POLL_MS", 1_000, 10, 600_000),
    webhookFirstRetryMs: integer("KEYWARD_WEBHOOK_FIRST_RETRY_MS", 5_000, 10, 3_600_000),
    webhookRetryWindowMs: HOUR_MS * integer("KEYWARD_WEBHOOK_RETRY_HOURS", 24, 1, 720),
    webhookAllowInsecureHttp: boolean("KEYWARD_WEBHOOK_ALLOW_HTTP", false),
    eventRetentionMs: DAY_MS * integer("KEYWARD_EVENT_RETENTION_DAYS", 30, 1, 3650),
    databaseUrl,
    databaseSchema: databaseSchema(),
    databasePoolSize: integer("KEYWARD_DATABASE_POOL_SIZE", 10, 1, 1_000),
    redisUrl,
    redisPrefix: env.KEYWARD_REDIS_PREFIX || "keyward:",
    rateLimitsFailOpen: boolean("KEYWARD_RATELIMIT_FAIL_OPEN", true),
    quotaFailOpen: boolean("KEYWARD_QUOTA_FAIL_OPEN", false),
    bruteForceLimit: integer("KEYWARD_BRUTE_FORCE_LIMIT", 100, 0, 1_000_000),
    bruteForceWindowMs: integer("KEYWARD_BRUTE_FORCE_WINDOW_MS", 60_000, 1_000, 86_400_000),
    shutdownDelayMs: integer("KEYWARD_SHUTDOWN_DELAY_MS", 0, 0, 300_000),
    metricsListen: listenAddress("KEYWARD_METRICS_LISTEN"),
    analyticsEnabled: boolean("KEYWARD_ANALYTICS_ENABLED", true),
    usageMinuteRetentionMs: HOUR_MS * integer("KEYWARD_USAGE_MINUTE_RETENTION_HOURS", 48, 1, 8_760),
    usageHourRetentionMs: DAY_MS * integer("KEYWARD_USAGE_HOUR_RETENTION_DAYS", 90, 1, 3_650),
    auditCheckpointEvery: integer("KEYWARD_AUDIT_CHECKPOINT_EVERY", 1_000, 1, 10_000_000),
    revealLimitPerMinute: integer("KEYWARD_REVEAL_LIMIT_PER_MINUTE", 10, 1, 10_000),
    pepperRefreshIntervalMs: 1_000 * integer("KEYWARD_PEPPER_REFRESH_SECONDS", 10, 1, 3_600),
    require2fa: boolean("KEYWARD_REQUIRE_2FA", false),
    sessionIdleTimeoutMs: 60_000 * integer("KEYWARD_SESSION_IDLE_MINUTES", 30, 1, 1_440),
    sessionMaxAgeMs: HOUR_MS * integer("KEYWARD_SESSION_MAX_HOURS", 12, 1, 720),
    auditRetentionMs: nullIfZero(DAY_MS * integer("KEYWARD_AUDIT_RETENTION_DAYS", 0, 0, 36_500)),
    anomalyDetectionEnabled: boolean("KEYWARD_ANOMALY_DETECTION_ENABLED", true),
    spikeFactor: integer("KEYWARD_SPIKE_FACTOR", 5, 2, 1_000),
    spikeMinRequests: integer("KEYWARD_SPIKE_MIN_REQUESTS", 100, 1, 100_000_000),
    spikeBucketMs: 1_000 * integer("KEYWARD_SPIKE_BUCKET_SECONDS", 60, 10, 3_600),
    newSourceMinHistoryMs: 60_000 * integer("KEYWARD_NEW_SOURCE_MIN_HISTORY_MINUTES", 60, 0, 525_600),
    ...overrides,
  };
  if (errors.length > 0) {
    throw new KeywardError(
      "CONFIG_INVALID",
      `The configuration is not valid: ${errors.map((e) => e.detail).join(" ")}`,
      {
        errors,
      },
    );
  }
  return Object.freeze(config);
}

/** 0 means "off" for retention settings. */
function nullIfZero(value: number): number | null {
  return value === 0 ? null : value;
}
