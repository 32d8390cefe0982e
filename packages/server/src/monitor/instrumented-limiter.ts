import type { RateLimiter } from "../limits/rate-limiter.js";
import { instrumentCalls } from "./instrument-calls.js";
import type { OperationMetrics } from "./metrics.js";

/**
 * The same rate limiter, each call timed into `keyward_rate_limiter_duration_seconds{operation}` and each
 * failure (RATE_LIMITER_UNAVAILABLE, a timeout) counted in `keyward_rate_limiter_errors_total{operation}`.
 */
export function instrumentLimiter(limiter: RateLimiter, metrics: OperationMetrics): RateLimiter {
  return instrumentCalls(limiter, {
    observe: (operation, seconds) => metrics.rateLimiterOperation(operation, seconds),
    fail: (operation) => metrics.rateLimiterError(operation),
  });
}
