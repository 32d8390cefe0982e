import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../test/support/expect-keyward-error.js";
import { parseConfig } from "./config.js";

describe("parseConfig()", () => {
  it("uses the documented defaults for an empty environment", () => {
    expect(parseConfig({})).toEqual({
      dataDir: "./.keyward",
      masterKey: null,
      previousMasterKeys: [],
      kms: "local",
      pkcs11: null,
      host: "127.0.0.1",
      port: 8080,
      tls: null,
      insecureHttp: false,
      logLevel: "info",
      logRequests: false,
      keyBytes: 32,
      cacheMaxEntries: 100_000,
      cacheTtlMs: 10_000,
      cacheInvalidation: "off",
      shutdownDelayMs: 0,
      usageFlushIntervalMs: 1_000,
      bodyLimitBytes: 64 * 1024,
      sqliteCacheMiB: 64,
      sqliteMmapMiB: 1024,
      schedulerEnabled: true,
      schedulerIntervalMs: 60_000,
      webhookDeliveryEnabled: true,
      webhookTimeoutMs: 10_000,
      webhookConcurrency: 8,
      webhookPollIntervalMs: 1_000,
      webhookFirstRetryMs: 5_000,
      webhookRetryWindowMs: 24 * 3_600_000,
      webhookAllowInsecureHttp: false,
      eventRetentionMs: 30 * 86_400_000,
      databaseUrl: null,
      databaseSchema: "public",
      databasePoolSize: 10,
      redisUrl: null,
      redisPrefix: "keyward:",
      rateLimitsFailOpen: true,
      quotaFailOpen: false,
      bruteForceLimit: 100,
      bruteForceWindowMs: 60_000,
      metricsListen: null,
      analyticsEnabled: true,
      usageMinuteRetentionMs: 48 * 3_600_000,
      usageHourRetentionMs: 90 * 86_400_000,
      auditCheckpointEvery: 1_000,
      revealLimitPerMinute: 10,
      pepperRefreshIntervalMs: 10_000,
      require2fa: false,
      sessionIdleTimeoutMs: 30 * 60_000,
      sessionMaxAgeMs: 12 * 3_600_000,
      auditRetentionMs: null,
      anomalyDetectionEnabled: true,
      spikeFactor: 5,
      spikeMinRequests: 100,
      spikeBucketMs: 60_000,
      newSourceMinHistoryMs: 3_600_000,
    });
  });

  it("reads the anomaly detection switch and thresholds, and refuses thresholds out of range", () => {
    expect(
      parseConfig({
        KEYWARD_ANOMALY_DETECTION_ENABLED: "false",
        KEYWARD_SPIKE_FACTOR: "10",
        KEYWARD_SPIKE_MIN_REQUESTS: "500",
        KEYWARD_SPIKE_BUCKET_SECONDS: "300",
        KEYWARD_NEW_SOURCE_MIN_HISTORY_MINUTES: "1440",
      }),
    ).toMatchObject({
      anomalyDetectionEnabled: false,
      spikeFactor: 10,
      spikeMinRequests: 500,
      spikeBucketMs: 300_000,
      newSourceMinHistoryMs: 86_400_000,
    });
    expect(() =>
      parseConfig({
        KEYWARD_SPIKE_FACTOR: "1",
        KEYWARD_SPIKE_MIN_REQUESTS: "0",
        KEYWARD_SPIKE_BUCKET_SECONDS: "5",
        KEYWARD_NEW_SOURCE_MIN_HISTORY_MINUTES: "x",
      }),
    ).toThrow(
      /KEYWARD_SPIKE_FACTOR.*KEYWARD_SPIKE_MIN_REQUESTS.*KEYWARD_SPIKE_BUCKET_SECONDS.*KEYWARD_NEW_SOURCE_MIN_HISTORY_MINUTES/,
    );
  });

  it("reads the audit checkpoint interval and retention (0 keeps entries for good), and refuses bad values", () => {
    expect(
      parseConfig({ KEYWARD_AUDIT_CHECKPOINT_EVERY: "50", KEYWARD_AUDIT_RETENTION_DAYS: "400" }),
    ).toMatchObject({ auditCheckpointEvery: 50, auditRetentionMs: 400 * 86_400_000 });
    expect(parseConfig({ KEYWARD_AUDIT_RETENTION_DAYS: "0" }).auditRetentionMs).toBeNull();
    expect(() =>
      parseConfig({ KEYWARD_AUDIT_CHECKPOINT_EVERY: "0", KEYWARD_AUDIT_RETENTION_DAYS: "-1" }),
    ).toThrow(/KEYWARD_AUDIT_CHECKPOINT_EVERY.*KEYWARD_AUDIT_RETENTION_DAYS/);
  });

  it("reads the usage analytics switch and retention, and refuses retention out of range", () => {
    expect(
      parseConfig({
        KEYWARD_ANALYTICS_ENABLED: "false",
        KEYWARD_USAGE_MINUTE_RETENTION_HOURS: "6",
        KEYWARD_USAGE_HOUR_RETENTION_DAYS: "7",
      }),
    ).toMatchObject({
      analyticsEnabled: false,
      usageMinuteRetentionMs: 6 * 3_600_000,
      usageHourRetentionMs: 7 * 86_400_000,
    });
    expect(() =>
      parseConfig({ KEYWARD_USAGE_MINUTE_RETENTION_HOURS: "0", KEYWARD_USAGE_HOUR_RETENTION_DAYS: "9999" }),
    ).toThrow(/KEYWARD_USAGE_MINUTE_RETENTION_HOURS.*KEYWARD_USAGE_HOUR_RETENTION_DAYS/);
  });

  it("treats empty variables as unset", () => {
    expect(
      parseConfig({
        KEYWARD_PORT: "",
        KEYWARD_HOST: "",
        KEYWARD_DATA_DIR: "",
        KEYWARD_MASTER_KEY: "",
        KEYWARD_LOG_LEVEL: "",
        KEYWARD_LOG_REQUESTS: "",
      }),
    ).toEqual(parseConfig({}));
  });

  it("reads every setting from the environment", () => {
    const masterKey = randomBytes(32);
    const config = parseConfig({
      KEYWARD_DATA_DIR: "/var/lib/keyward",
      KEYWARD_MASTER_KEY: masterKey.toString("base64"),
      KEYWARD_HOST: "0.0.0.0",
      KEYWARD_PORT: "9443",
      KEYWARD_LOG_LEVEL: "debug",
      KEYWARD_LOG_REQUESTS: "true",
      KEYWARD_KEY_BYTES: "16",
      KEYWARD_CACHE_MAX_ENTRIES: "0",
      KEYWARD_CACHE_TTL_MS: "250",
      KEYWARD_USAGE_FLUSH_MS: "10",
      KEYWARD_BODY_LIMIT_BYTES: "2048",
    });
    expect(config).toMatchObject({
      dataDir: "/var/lib/keyward",
      host: "0.0.0.0",
      port: 9443,
      logLevel: "debug",
      logRequests: true,
      keyBytes: 16,
      cacheMaxEntries: 0,
      cacheTtlMs: 250,
      usageFlushIntervalMs: 10,
      bodyLimitBytes: 2048,
    });
    expect(config.masterKey?.equals(masterKey)).toBe(true);
  });

  it("takes several master key versions from KEYWARD_MASTER_KEY, oldest first, the last current", () => {
    const [old, current] = [randomBytes(32), randomBytes(32)];
    const config = parseConfig({
      KEYWARD_MASTER_KEY: `${old.toString("base64")}, ${current.toString("base64")}`,
    });
    expect(config.masterKey?.equals(current)).toBe(true);
    expect(config.previousMasterKeys).toEqual([old]);
    expect(() => parseConfig({ KEYWARD_MASTER_KEY: `${old.toString("base64")},nope` })).toThrow(
      /KEYWARD_MASTER_KEY/,
    );
  });

  it("reads the PKCS#11 token settings of KEYWARD_KMS=pkcs11, by label or slot, with the PIN or a PIN file", () => {
    const base = { KEYWARD_KMS: "pkcs11", KEYWARD_PKCS11_MODULE: "/usr/lib/softhsm/libsofthsm2.so" };
    expect(
      parseConfig({ ...base, KEYWARD_PKCS11_TOKEN_LABEL: "keyward", KEYWARD_PKCS11_PIN_FILE: "/run/pin" }),
    ).toMatchObject({
      kms: "pkcs11",
      pkcs11: {
        modulePath: "/usr/lib/softhsm/libsofthsm2.so",
        tokenLabel: "keyward",
        slot: null,
        pin: null,
        pinFile: "/run/pin",
        keyLabel: "keyward-master",
      },
    });
    expect(
      parseConfig({
        ...base,
        KEYWARD_PKCS11_SLOT: "1437839329",
        KEYWARD_PKCS11_PIN: "1234",
        KEYWARD_PKCS11_KEY_LABEL: "prod-master",
      }).pkcs11,
    ).toMatchObject({
      tokenLabel: null,
      slot: 1437839329,
      pin: "1234",
      pinFile: null,
      keyLabel: "prod-master",
    });
  });

  it("refuses incomplete PKCS#11 settings, KEYWARD_MASTER_KEY beside them, and PKCS#11 settings without KEYWARD_KMS=pkcs11", async () => {
    const incomplete = await expectKeywardError(
      () =>
        parseConfig({
          KEYWARD_KMS: "pkcs11",
          KEYWARD_PKCS11_TOKEN_LABEL: "a",
          KEYWARD_PKCS11_SLOT: "1",
          KEYWARD_MASTER_KEY: randomBytes(32).toString("base64"),
        }),
      "CONFIG_INVALID",
    );
    expect(incomplete.errors?.map((e) => e.pointer)).toEqual([
      "/KEYWARD_PKCS11_MODULE",
      "/KEYWARD_PKCS11_TOKEN_LABEL",
      "/KEYWARD_PKCS11_PIN_FILE",
      "/KEYWARD_MASTER_KEY",
    ]);
    const withoutKms = await expectKeywardError(
      () => parseConfig({ KEYWARD_PKCS11_MODULE: "/x.so", KEYWARD_PKCS11_PIN: "1234" }),
      "CONFIG_INVALID",
    );
    expect(withoutKms.errors?.map((e) => e.pointer)).toEqual([
      "/KEYWARD_PKCS11_MODULE",
      "/KEYWARD_PKCS11_PIN",
    ]);
    expect(withoutKms.message).not.toContain("1234");
    await expectKeywardError(() => parseConfig({ KEYWARD_KMS: "vault" }), "CONFIG_INVALID");
  });

  it("takes KEYWARD_TLS_CERT and KEYWARD_TLS_KEY as a pair of paths, and KEYWARD_INSECURE_HTTP", () => {
    const config = parseConfig({
      KEYWARD_TLS_CERT: "/etc/keyward/cert.pem",
      KEYWARD_TLS_KEY: "/etc/keyward/key.pem",
      KEYWARD_INSECURE_HTTP: "true",
    });
    expect(config.tls).toEqual({ certPath: "/etc/keyward/cert.pem", keyPath: "/etc/keyward/key.pem" });
    expect(Object.isFrozen(config.tls)).toBe(true);
    expect(config.insecureHttp).toBe(true);
    expect(parseConfig({ KEYWARD_TLS_CERT: "", KEYWARD_TLS_KEY: "" }).tls).toBeNull();
  });

  it.each([
    [{ KEYWARD_TLS_CERT: "/etc/keyward/cert.pem" }, "/KEYWARD_TLS_KEY"],
    [{ KEYWARD_TLS_KEY: "/etc/keyward/key.pem" }, "/KEYWARD_TLS_CERT"],
  ])(
    "refuses one TLS variable without the other (%o) with CONFIG_INVALID naming both",
    async (env, pointer) => {
      const error = await expectKeywardError(() => parseConfig(env), "CONFIG_INVALID");
      expect(error.message).toContain("KEYWARD_TLS_CERT and KEYWARD_TLS_KEY must be set together");
      expect(error.errors?.map((e) => e.pointer)).toEqual([pointer]);
    },
  );

  it("refuses a KEYWARD_INSECURE_HTTP that is not a boolean", async () => {
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_INSECURE_HTTP: "maybe" }),
      "CONFIG_INVALID",
    );
    expect(error.errors?.map((e) => e.pointer)).toEqual(["/KEYWARD_INSECURE_HTTP"]);
  });

  it("parses a valid KEYWARD_MASTER_KEY to its 32 bytes", () => {
    const masterKey = randomBytes(32);
    const config = parseConfig({ KEYWARD_MASTER_KEY: masterKey.toString("base64") });
    expect(config.masterKey).toBeInstanceOf(Buffer);
    expect(config.masterKey).toHaveLength(32);
    expect(config.masterKey?.equals(masterKey)).toBe(true);
  });

  it("accepts the boolean spellings 1/0, yes/no, on/off and true/false in any case", () => {
    for (const yes of ["1", "true", "TRUE", "yes", "On"]) {
      expect(parseConfig({ KEYWARD_LOG_REQUESTS: yes }).logRequests).toBe(true);
    }
    for (const no of ["0", "false", "False", "no", "OFF"]) {
      expect(parseConfig({ KEYWARD_LOG_REQUESTS: no }).logRequests).toBe(false);
    }
  });

  it("accepts ports 0 and 65535, the ends of the range", () => {
    expect(parseConfig({ KEYWARD_PORT: "0" }).port).toBe(0);
    expect(parseConfig({ KEYWARD_PORT: "65535" }).port).toBe(65535);
  });

  it("lets explicit overrides win over the environment", () => {
    const masterKey = randomBytes(32);
    const config = parseConfig(
      { KEYWARD_PORT: "9000", KEYWARD_LOG_LEVEL: "debug" },
      { port: 1234, masterKey },
    );
    expect(config.port).toBe(1234);
    expect(config.logLevel).toBe("debug");
    expect(config.masterKey).toBe(masterKey);
  });

  it("returns a frozen object", () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Reflect.set(config, "port", 1)).toBe(false);
    expect(config.port).toBe(8080);
  });

  it("reports every bad value at once in errors[], one per variable, as CONFIG_INVALID", async () => {
    const error = await expectKeywardError(
      () =>
        parseConfig({
          KEYWARD_PORT: "http",
          KEYWARD_MASTER_KEY: "not base64 at all!",
          KEYWARD_LOG_LEVEL: "loud",
          KEYWARD_LOG_REQUESTS: "maybe",
          KEYWARD_KEY_BYTES: "15",
          KEYWARD_CACHE_TTL_MS: "-1",
        }),
      "CONFIG_INVALID",
    );
    expect(error.errors?.map((e) => e.pointer).sort()).toEqual(
      [
        "/KEYWARD_CACHE_TTL_MS",
        "/KEYWARD_KEY_BYTES",
        "/KEYWARD_LOG_LEVEL",
        "/KEYWARD_LOG_REQUESTS",
        "/KEYWARD_MASTER_KEY",
        "/KEYWARD_PORT",
      ].sort(),
    );
    for (const fieldError of error.errors ?? []) {
      expect(fieldError.detail.length).toBeGreaterThan(0);
      expect(error.message).toContain(fieldError.detail);
    }
  });

  it.each([
    ["a word", "http"],
    ["a fraction", "80.5"],
    ["a negative number", "-1"],
    ["a number above 65535", "65536"],
  ])("rejects KEYWARD_PORT given %s", async (_label, port) => {
    const error = await expectKeywardError(() => parseConfig({ KEYWARD_PORT: port }), "CONFIG_INVALID");
    expect(error.errors).toEqual([
      { pointer: "/KEYWARD_PORT", detail: expect.stringContaining("0 to 65535") },
    ]);
  });

  it.each([
    ["text that is not base64", "not base64 at all!"],
    ["31 bytes", randomBytes(31).toString("base64")],
    ["33 bytes", randomBytes(33).toString("base64")],
    ["hex instead of base64", randomBytes(32).toString("hex")],
    ["32 bytes of base64 with a stray character", `!${randomBytes(32).toString("base64")}`],
  ])("rejects KEYWARD_MASTER_KEY given %s", async (_label, masterKey) => {
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_MASTER_KEY: masterKey }),
      "CONFIG_INVALID",
    );
    expect(error.errors?.map((e) => e.pointer)).toEqual(["/KEYWARD_MASTER_KEY"]);
  });

  it("rejects an unknown log level and names the allowed ones", async () => {
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_LOG_LEVEL: "verbose" }),
      "CONFIG_INVALID",
    );
    expect(error.errors).toEqual([
      {
        pointer: "/KEYWARD_LOG_LEVEL",
        detail: expect.stringContaining("fatal, error, warn, info, debug, trace, silent"),
      },
    ]);
  });

  it.each([
    [{}, "off"],
    [{ KEYWARD_REDIS_URL: "redis://127.0.0.1:6379" }, "redis"],
    [{ KEYWARD_DATABASE_URL: "postgres://db/keyward" }, "postgres"],
    [{ KEYWARD_DATABASE_URL: "postgres://db/keyward", KEYWARD_REDIS_URL: "redis://r" }, "postgres"],
    [
      {
        KEYWARD_DATABASE_URL: "postgres://db/keyward",
        KEYWARD_REDIS_URL: "redis://r",
        KEYWARD_CACHE_INVALIDATION: "redis",
      },
      "redis",
    ],
    [{ KEYWARD_DATABASE_URL: "postgres://db/keyward", KEYWARD_CACHE_INVALIDATION: "off" }, "off"],
  ])("broadcasts cache invalidations over the engine the nodes share (%o → %s)", (env, expected) => {
    expect(parseConfig(env).cacheInvalidation).toBe(expected);
  });

  it("refuses KEYWARD_CACHE_INVALIDATION naming an engine that is not configured", async () => {
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_CACHE_INVALIDATION: "postgres" }),
      "CONFIG_INVALID",
    );
    expect(error.errors).toEqual([
      {
        pointer: "/KEYWARD_CACHE_INVALIDATION",
        detail: "KEYWARD_CACHE_INVALIDATION=postgres needs KEYWARD_DATABASE_URL.",
      },
    ]);
  });

  it("rejects a boolean it does not know", async () => {
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_LOG_REQUESTS: "sometimes" }),
      "CONFIG_INVALID",
    );
    expect(error.errors?.map((e) => e.pointer)).toEqual(["/KEYWARD_LOG_REQUESTS"]);
  });

  it.each(["0x1F90", "1e3", " 8080", "80.0", "-1"])(
    "rejects the port %j, which is not plain digits",
    async (port) => {
      const error = await expectKeywardError(() => parseConfig({ KEYWARD_PORT: port }), "CONFIG_INVALID");
      expect(error.errors?.map((e) => e.pointer)).toEqual(["/KEYWARD_PORT"]);
    },
  );

  it("never puts the master key value in the error, its message or its field errors", async () => {
    const almost = randomBytes(31).toString("base64");
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_MASTER_KEY: almost, KEYWARD_PORT: "nope" }),
      "CONFIG_INVALID",
    );
    expect(error.message).not.toContain(almost);
    expect(JSON.stringify(error.errors)).not.toContain(almost);
    expect(String(error.stack)).not.toContain(almost);
    expect(JSON.stringify(error)).not.toContain(almost);
  });

  it.each([
    ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
    ["0.0.0.0:0", { host: "0.0.0.0", port: 0 }],
    ["metrics.internal:9100", { host: "metrics.internal", port: 9100 }],
    ["[::1]:9464", { host: "::1", port: 9464 }],
    ["9464", { host: "127.0.0.1", port: 9464 }],
  ])("reads KEYWARD_METRICS_LISTEN=%j as a separate metrics listener", (raw, expected) => {
    expect(parseConfig({ KEYWARD_METRICS_LISTEN: raw }).metricsListen).toEqual(expected);
  });

  it.each([
    "127.0.0.1",
    "127.0.0.1:",
    ":9464",
    "127.0.0.1:70000",
    "::1:9464",
    "http://127.0.0.1:9464",
    "a b:1",
  ])("rejects KEYWARD_METRICS_LISTEN=%j", async (raw) => {
    const error = await expectKeywardError(
      () => parseConfig({ KEYWARD_METRICS_LISTEN: raw }),
      "CONFIG_INVALID",
    );
    expect(error.errors?.map((e) => e.pointer)).toEqual(["/KEYWARD_METRICS_LISTEN"]);
  });
});
