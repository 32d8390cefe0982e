import type { Config } from "../config.js";
import { MemoryRateLimiter } from "./memory-rate-limiter.js";
import type { RateLimiter } from "./rate-limiter.js";
import { RedisRateLimiter } from "./redis-rate-limiter.js";

/** The configured limiter: Redis, shared by every process, when `KEYWARD_REDIS_URL` is set; in-process otherwise. */
export function openRateLimiter(config: Config): RateLimiter {
  if (config.redisUrl !== null)
    return new RedisRateLimiter({ url: config.redisUrl, prefix: config.redisPrefix });
  return new MemoryRateLimiter();
}
