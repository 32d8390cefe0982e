import { randomBytes } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { pino } from "pino";
import { parseConfig } from "../../src/config.js";
import { createApp, type KeywardApp, servicesOf } from "../../src/http/app.js";
import { type Instance, openInstance } from "../../src/instance.js";
import { LocalKms } from "../../src/kms/local-kms.js";
import type { RateLimiter } from "../../src/limits/rate-limiter.js";
import { createLogger } from "../../src/logger.js";
import { openSqliteStores } from "../../src/store/sqlite-stores.js";
import type { Stores } from "../../src/store/stores.js";
import { ManualClock } from "./manual-clock.js";

/** An app on an in-memory SQLite store with a manual clock, and its root token. */
export interface TestApp {
  app: KeywardApp;
  instance: Instance;
  clock: ManualClock;
  rootToken: string;
  /** Sends a JSON request with the given bearer token (the root token by default). */
  request(
    method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT",
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * Builds a fresh app for one test; nothing touches the disk unless `store` says so. `env` is parsed as the
 * server's environment; `limiter` replaces the in-process MemoryRateLimiter.
 */
export async function createTestApp(
  options: { stores?: Stores; env?: Record<string, string>; limiter?: RateLimiter } = {},
): Promise<TestApp> {
  const clock = new ManualClock();
  const config = parseConfig(options.env ?? {}, { masterKey: randomBytes(32), logLevel: "silent" });
  const instance = await openInstance({
    config,
    clock,
    stores: options.stores ?? openSqliteStores({ path: ":memory:" }),
    kms: new LocalKms(randomBytes(32)),
    ...(options.limiter === undefined ? {} : { limiter: options.limiter }),
  });
  const rootToken = instance.rootToken;
  if (rootToken === null) throw new Error("a fresh store must print a root token");
  const app = await createApp({
    ...servicesOf(instance),
    readiness: () => instance.checkReadiness(),
    logger: pino({ level: "silent" }),
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: false,
  });
  return {
    app,
    instance,
    clock,
    rootToken,
    request(method, url, body, token = rootToken) {
      return app.inject({
        method,
        url,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    },
    async close() {
      await app.close();
      await instance.close();
    },
  };
}

/** An app whose log (request logging on, level trace) is captured line by line, for tests that search it. */
export interface TraceLoggedApp {
  app: KeywardApp;
  instance: Instance;
  /** Every line the app and its instance logged, as written. */
  lines: string[];
  close(): Promise<void>;
}

/** A fresh app on an in-memory store that logs everything at trace into `lines`. */
export async function createTraceLoggedApp(): Promise<TraceLoggedApp> {
  const lines: string[] = [];
  const config = parseConfig({}, { masterKey: randomBytes(32), logLevel: "trace", logRequests: true });
  const instance = await openInstance({
    config,
    clock: new ManualClock(),
    stores: openSqliteStores({ path: ":memory:" }),
    kms: new LocalKms(randomBytes(32)),
  });
  const app = await createApp({
    ...servicesOf(instance),
    readiness: () => instance.checkReadiness(),
    logger: createLogger(config, { write: (line: string) => void lines.push(line) }),
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: config.logRequests,
  });
  return {
    app,
    instance,
    lines,
    async close() {
      await app.close();
      await instance.close();
    },
  };
}
