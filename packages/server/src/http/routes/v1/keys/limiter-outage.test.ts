import { afterEach, describe, expect, it } from "vitest";
import { createKey, expectProblem, verifyKey } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import { UnavailableRateLimiter } from "../../../../../test/support/unavailable-rate-limiter.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** An app whose rate limiter is down, configured by `env`. */
async function appWithLimiterDown(
  env: Record<string, string> = {},
): Promise<{ app: TestApp; limiter: UnavailableRateLimiter }> {
  const limiter = new UnavailableRateLimiter();
  t = await createTestApp({ env, limiter });
  return { app: t, limiter };
}

const RATE_LIMITS = [{ name: "requests", limit: 1, windowMs: 60_000 }];

describe("POST /v1/keys/verify while the rate limiter is down", () => {
  it("lets a key with only rate limits through, uncounted and marked degraded (fail open by default)", async () => {
    const { app, limiter } = await appWithLimiterDown();
    const key = await createKey(app, { rateLimits: RATE_LIMITS });
    for (let i = 0; i < 3; i++) {
      const answer = await verifyKey(app, key.key);
      expect(answer).toMatchObject({ valid: true, code: "VALID", keyId: key.id, degraded: true });
      expect(answer).not.toHaveProperty("rateLimits");
    }
    expect(limiter.calls).toBeGreaterThanOrEqual(3);
  });

  it("refuses a key with a quota with 503 RATE_LIMITER_UNAVAILABLE (fail closed by default)", async () => {
    const { app } = await appWithLimiterDown();
    const key = await createKey(app, { rateLimits: RATE_LIMITS, quota: { remaining: 5 } });
    const res = await app.request("POST", "/v1/keys/verify", { key: key.key });
    const problem = expectProblem(res, 503, "RATE_LIMITER_UNAVAILABLE");
    expect(res.body).not.toContain(key.key);
    expect(problem.detail).not.toContain(key.key);
  });

  it("lets a key with a quota through degraded when KEYWARD_QUOTA_FAIL_OPEN is true", async () => {
    const { app } = await appWithLimiterDown({ KEYWARD_QUOTA_FAIL_OPEN: "true" });
    const key = await createKey(app, { quota: { remaining: 1 } });
    for (let i = 0; i < 3; i++) {
      const answer = await verifyKey(app, key.key);
      expect(answer).toMatchObject({ valid: true, code: "VALID", degraded: true });
      expect(answer).not.toHaveProperty("quota");
    }
  });

  it("refuses a key with rate limits when KEYWARD_RATELIMIT_FAIL_OPEN is false", async () => {
    const { app } = await appWithLimiterDown({ KEYWARD_RATELIMIT_FAIL_OPEN: "false" });
    const key = await createKey(app, { rateLimits: RATE_LIMITS });
    expectProblem(
      await app.request("POST", "/v1/keys/verify", { key: key.key }),
      503,
      "RATE_LIMITER_UNAVAILABLE",
    );
  });

  it("does not touch keys without limits, failed lookups or outcomes decided before the limits", async () => {
    const { app, limiter } = await appWithLimiterDown({ KEYWARD_RATELIMIT_FAIL_OPEN: "false" });
    const plain = await createKey(app);
    const plainAnswer = await verifyKey(app, plain.key);
    expect(plainAnswer).toMatchObject({ valid: true, code: "VALID" });
    expect(plainAnswer).not.toHaveProperty("degraded");
    const scoped = await createKey(app, { scopes: ["a"], quota: { remaining: 1 } });
    expect(await verifyKey(app, scoped.key, { scopes: ["b"] })).toMatchObject({ code: "INSUFFICIENT_SCOPE" });
    const before = limiter.calls;
    expect(await verifyKey(app, plain.key)).toMatchObject({ code: "VALID" });
    expect(limiter.calls).toBe(before);
    // Brute-force counting needs the limiter too; a failed lookup still answers NOT_FOUND.
    for (let i = 0; i < 5; i++) {
      expect(await verifyKey(app, `kw_${"0".repeat(49)}`)).toEqual({ valid: false, code: "NOT_FOUND" });
    }
  });
});

describe("quota administration while the rate limiter is down", () => {
  it("answers 503 to POST /v1/keys/{id}/quota and shows the stored balance on GET", async () => {
    const { app } = await appWithLimiterDown();
    const key = await createKey(app, { quota: { remaining: 5 } });
    expectProblem(
      await app.request("POST", `/v1/keys/${key.id}/quota`, { increment: 1 }),
      503,
      "RATE_LIMITER_UNAVAILABLE",
    );
    const shown = await app.request("GET", `/v1/keys/${key.id}`);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json().quota.remaining).toBe(5);
  });
});
