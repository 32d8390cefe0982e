import { KeywardError } from "@keyward/core/keyward-error.js";
import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { MemoryRateLimiter } from "../limits/memory-rate-limiter.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import { BruteForceGuard, type BruteForceSuspect, sourceKey } from "./brute-force-guard.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");

function guard(options: { limit?: number; limiter?: RateLimiter } = {}) {
  const suspects: BruteForceSuspect[] = [];
  const outages: Array<{ error: unknown; outcome: string }> = [];
  const instance = new BruteForceGuard({
    limiter: options.limiter ?? new MemoryRateLimiter(),
    limit: options.limit ?? 3,
    windowMs: 60_000,
    onSuspected: (suspect) => suspects.push(suspect),
    onLimiterUnavailable: (error, outcome) => outages.push({ error, outcome }),
  });
  return { instance, suspects, outages };
}

describe("BruteForceGuard", () => {
  it("throttles a source after `limit` failures, with Retry-After until the window rolls over", async () => {
    const { instance, suspects } = guard();
    for (let i = 0; i < 3; i++) {
      instance.assertAllowed("203.0.113.7", T0 + i);
      await instance.recordFailure({ source: "203.0.113.7", projectId: null }, T0 + i);
    }
    // The third failure reaches the limit: from then on the source is throttled, so a fourth guess is refused.
    const error = await expectKeywardError(
      () => instance.assertAllowed("203.0.113.7", T0 + 4),
      "TOO_MANY_FAILED_VERIFICATIONS",
    );
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(() => instance.assertAllowed("198.51.100.1", T0 + 4)).not.toThrow();
    expect(() => instance.assertAllowed("203.0.113.7", T0 + 4 + (error.retryAfterMs ?? 0))).not.toThrow();
    expect(suspects).toEqual([{ kind: "ip", id: "203.0.113.7", projectId: null, windowMs: 60_000 }]);
  });

  it("reports a project over the limit once per window, without throttling anyone", async () => {
    const { instance, suspects } = guard();
    for (let i = 0; i < 6; i++) {
      await instance.recordFailure({ source: `192.0.2.${i}`, projectId: "proj_a" }, T0 + i);
    }
    expect(suspects).toEqual([{ kind: "project", id: "proj_a", projectId: "proj_a", windowMs: 60_000 }]);
    for (let i = 0; i < 6; i++) expect(() => instance.assertAllowed(`192.0.2.${i}`, T0 + 10)).not.toThrow();
  });

  it("does nothing when turned off (limit 0)", async () => {
    const { instance, suspects } = guard({ limit: 0 });
    for (let i = 0; i < 10; i++) await instance.recordFailure({ source: "203.0.113.7", projectId: null }, T0);
    expect(() => instance.assertAllowed("203.0.113.7", T0)).not.toThrow();
    expect(suspects).toEqual([]);
  });

  it("never fails a verification when the limiter is down: it only stops counting", async () => {
    const down: RateLimiter = Object.assign(new MemoryRateLimiter(), {
      charge: async () => {
        throw new KeywardError("RATE_LIMITER_UNAVAILABLE", "down", { retryable: true });
      },
    });
    const { instance, outages } = guard({ limiter: down });
    await expect(
      instance.recordFailure({ source: "203.0.113.7", projectId: null }, T0),
    ).resolves.toBeUndefined();
    expect(outages).toHaveLength(1);
    expect(outages[0]?.outcome).toBe("not_counted");
  });
});

describe("sourceKey()", () => {
  it("counts an IPv4-mapped address as its IPv4 address, and IPv6 addresses by their /64", () => {
    expect(sourceKey("203.0.113.7")).toBe("203.0.113.7");
    expect(sourceKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(sourceKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(sourceKey("2001:DB8:1:2:bbbb::9")).toBe("2001:db8:1:2::/64");
    expect(sourceKey("not an address")).toBe("not an address");
  });

  it("throttles every address of a /64 together", async () => {
    const { instance } = guard({ limit: 2 });
    await instance.recordFailure({ source: "2001:db8:1:2::1", projectId: null }, T0);
    await instance.recordFailure({ source: "2001:db8:1:2::2", projectId: null }, T0 + 1);
    await expectKeywardError(
      () => instance.assertAllowed("2001:db8:1:2::3", T0 + 2),
      "TOO_MANY_FAILED_VERIFICATIONS",
    );
    expect(() => instance.assertAllowed("2001:db8:1:3::1", T0 + 2)).not.toThrow();
  });
});
