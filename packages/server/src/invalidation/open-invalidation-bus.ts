import type { Config } from "../config.js";
import type { InvalidationBus } from "./invalidation-bus.js";
import { PostgresInvalidationBus } from "./postgres-invalidation-bus.js";
import { RedisInvalidationBus } from "./redis-invalidation-bus.js";

/** The configured invalidation bus (`KEYWARD_CACHE_INVALIDATION`), or null for a node alone. */
export function openInvalidationBus(config: Config): InvalidationBus | null {
  switch (config.cacheInvalidation) {
    case "postgres":
      if (config.databaseUrl === null) return null;
      return new PostgresInvalidationBus({
        connectionString: config.databaseUrl,
        schema: config.databaseSchema,
      });
    case "redis":
      if (config.redisUrl === null) return null;
      return new RedisInvalidationBus({ url: config.redisUrl, prefix: config.redisPrefix });
    case "off":
      return null;
  }
}
