import { KeywardError } from "@keyward/core/keyward-error.js";
import type { QuotaBalance, RateLimiter } from "../../src/limits/rate-limiter.js";

/** A rate limiter whose backend is down: every call throws RATE_LIMITER_UNAVAILABLE, as a lost Redis does. */
export class UnavailableRateLimiter implements RateLimiter {
  /** How many calls were refused, so a test can tell the limiter was asked. */
  calls = 0;

  async charge(): Promise<never> {
    throw this.#down();
  }

  async adjustQuota(): Promise<QuotaBalance> {
    throw this.#down();
  }

  async readQuota(): Promise<QuotaBalance | null> {
    throw this.#down();
  }

  async forgetQuota(): Promise<void> {
    throw this.#down();
  }

  async ping(): Promise<void> {
    throw this.#down();
  }

  async close(): Promise<void> {}

  #down(): KeywardError {
    this.calls += 1;
    return new KeywardError("RATE_LIMITER_UNAVAILABLE", "The rate limiter cannot be reached.", {
      retryable: true,
    });
  }
}
