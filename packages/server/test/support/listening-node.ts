import { randomBytes } from "node:crypto";
import { type Config, parseConfig } from "../../src/config.js";
import { type Instance, openInstance } from "../../src/instance.js";
import type { CachedKind } from "../../src/invalidation/invalidation-bus.js";
import { createMetrics } from "../../src/monitor/metrics.js";
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from "./services.js";

/** A node whose `heard(kind)` resolves when it next receives an invalidation of that kind from another node. */
export interface ListeningNode {
  instance: Instance;
  heard(kind: CachedKind): Promise<void>;
}

/**
 * Opens an instance of `config` that tells when other nodes' invalidations arrive, so multi-node tests wait for
 * the message rather than sleep. `cleanups` gets the instance's close.
 */
export async function openListeningNode(
  config: Config,
  cleanups: Array<() => Promise<void>>,
): Promise<ListeningNode> {
  const metrics = createMetrics();
  const waiting = new Map<CachedKind, Array<() => void>>();
  const count = metrics.invalidation.bind(metrics);
  metrics.invalidation = (outcome, kind) => {
    count(outcome, kind);
    if (outcome !== "received") return;
    for (const wake of waiting.get(kind)?.splice(0) ?? []) wake();
  };
  const instance = await openInstance({ config, metrics });
  cleanups.push(() => instance.close());
  return {
    instance,
    heard: (kind) =>
      new Promise<void>((resolve) => {
        waiting.set(kind, [...(waiting.get(kind) ?? []), resolve]);
      }),
  };
}

/**
 * The configuration several nodes share on a fresh PostgreSQL schema (dropped by `cleanups`): one master key, no
 * scheduler, and an hour of cache TTL, so that only an invalidation message can make another node see a change.
 */
export function sharedPostgresConfig(
  cleanups: Array<() => Promise<void>>,
  overrides: Partial<Config> = {},
): Config {
  const schema = newTestSchema();
  cleanups.push(() => dropTestSchema(schema));
  return parseConfig(
    {
      KEYWARD_DATABASE_URL: TEST_DATABASE_URL,
      KEYWARD_DATABASE_SCHEMA: schema,
      KEYWARD_CACHE_TTL_MS: "3600000",
    },
    { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false, ...overrides },
  );
}
