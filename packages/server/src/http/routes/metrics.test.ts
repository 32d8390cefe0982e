import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { createKey, expectProblem, mintToken, verifyKey } from "../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../test/support/test-app.js";
import { UnavailableRateLimiter } from "../../../test/support/unavailable-rate-limiter.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The value of one series in a `GET /metrics` answer, or undefined when it is missing. */
function sample(res: LightMyRequestResponse, series: string): number | undefined {
  const line = res.body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function outages(source: string, outcome: string): string {
  return `keyward_rate_limiter_unavailable_total{source="${source}",outcome="${outcome}"}`;
}

async function scrape(app: TestApp): Promise<LightMyRequestResponse> {
  const scraper = (await mintToken(app, ["metrics:read"])).token;
  const res = await app.request("GET", "/metrics", undefined, scraper);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return res;
}

const RATE_LIMITS = [{ name: "requests", limit: 1, windowMs: 60_000 }];

describe("GET /metrics", () => {
  it("answers the Prometheus exposition to a metrics:read token", async () => {
    t = await createTestApp();
    const res = await scrape(t);
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.body).toContain("# TYPE keyward_rate_limiter_unavailable_total counter");
    expect(sample(res, outages("verify", "fail_open"))).toBe(0);
    expect(res.body).toContain("keyward_process_cpu_user_seconds_total");
  });

  it("counts a rate-limit-only verification during a limiter outage as verify/fail_open", async () => {
    t = await createTestApp({ limiter: new UnavailableRateLimiter() });
    const key = await createKey(t, { rateLimits: RATE_LIMITS });
    expect(await verifyKey(t, key.key)).toMatchObject({ valid: true, degraded: true });
    const res = await scrape(t);
    expect(sample(res, outages("verify", "fail_open"))).toBe(1);
    expect(sample(res, outages("verify", "fail_closed"))).toBe(0);
  });

  it("counts a quota verification refused during a limiter outage as verify/fail_closed", async () => {
    t = await createTestApp({ limiter: new UnavailableRateLimiter() });
    const key = await createKey(t, { quota: { remaining: 5 } });
    expectProblem(
      await t.request("POST", "/v1/keys/verify", { key: key.key }),
      503,
      "RATE_LIMITER_UNAVAILABLE",
    );
    const res = await scrape(t);
    expect(sample(res, outages("verify", "fail_closed"))).toBe(1);
    expect(sample(res, outages("verify", "fail_open"))).toBe(0);
  });

  it("counts standalone limits and uncounted failed verifications during a limiter outage", async () => {
    t = await createTestApp({ limiter: new UnavailableRateLimiter() });
    const limited = await t.request("POST", "/v1/ratelimit", {
      namespace: "login",
      identifier: "user_1",
      limit: 5,
      windowMs: 60_000,
    });
    expect(limited.json()).toMatchObject({ success: true, degraded: true });
    expect(await verifyKey(t, "kw_no_such_key_at_all")).toMatchObject({ valid: false, code: "NOT_FOUND" });
    const res = await scrape(t);
    expect(sample(res, outages("ratelimit", "fail_open"))).toBe(1);
    expect(sample(res, outages("brute_force", "not_counted"))).toBeGreaterThanOrEqual(1);
  });

  it("counts every verification by code through the Fastify route, with its latency and cache result", async () => {
    t = await createTestApp();
    const key = await createKey(t, { scopes: ["read"] });
    const revoked = await createKey(t);
    expect((await t.request("POST", `/v1/keys/${revoked.id}/revoke`, {})).statusCode).toBe(200);
    await verifyKey(t, key.key); // a miss: the store is asked
    await verifyKey(t, key.key); // a hit
    await verifyKey(t, key.key, { scopes: ["write"] });
    await verifyKey(t, revoked.key);
    await verifyKey(t, "kw_no_such_key_at_all"); // malformed: NOT_FOUND without a lookup
    const res = await scrape(t);
    const verifications = (code: string) => sample(res, `keyward_verifications_total{code="${code}"}`);
    expect(verifications("VALID")).toBe(2);
    expect(verifications("INSUFFICIENT_SCOPE")).toBe(1);
    expect(verifications("REVOKED")).toBe(1);
    expect(verifications("NOT_FOUND")).toBe(1);
    expect(verifications("EXPIRED")).toBe(0);
    expect(sample(res, "keyward_verify_duration_seconds_count")).toBe(5);
    expect(sample(res, 'keyward_verify_cache_requests_total{result="miss"}')).toBe(2);
    expect(sample(res, 'keyward_verify_cache_requests_total{result="hit"}')).toBe(2);
    expect(sample(res, 'keyward_store_operation_duration_seconds_count{operation="findKeyByDigest"}')).toBe(
      2,
    );
    expect(sample(res, 'keyward_store_errors_total{operation="findKeyByDigest"}')).toBe(0);
  });

  it("counts verifications the fast path answers, on a real socket", async () => {
    t = await createTestApp();
    const key = await createKey(t);
    const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    for (const body of [{ key: key.key }, { key: "kw_no_such_key_at_all" }]) {
      const res = await fetch(`${url}/v1/keys/verify`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.rootToken}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    }
    const res = await scrape(t);
    expect(sample(res, 'keyward_verifications_total{code="VALID"}')).toBe(1);
    expect(sample(res, 'keyward_verifications_total{code="NOT_FOUND"}')).toBe(1);
    expect(sample(res, "keyward_verify_duration_seconds_count")).toBe(2);
  });

  it("counts a verification that throws by its error code", async () => {
    t = await createTestApp({ env: { KEYWARD_BRUTE_FORCE_LIMIT: "1" } });
    await verifyKey(t, "kw_no_such_key_at_all", { ip: "203.0.113.9" });
    expectProblem(
      await t.request("POST", "/v1/keys/verify", { key: "kw_no_such_key_at_all", ip: "203.0.113.9" }),
      429,
      "TOO_MANY_FAILED_VERIFICATIONS",
    );
    const res = await scrape(t);
    expect(sample(res, 'keyward_verifications_total{code="NOT_FOUND"}')).toBe(1);
    expect(sample(res, 'keyward_verifications_total{code="TOO_MANY_FAILED_VERIFICATIONS"}')).toBe(1);
  });

  it("counts rate limiter calls and their errors during an outage", async () => {
    t = await createTestApp({ limiter: new UnavailableRateLimiter() });
    const key = await createKey(t, { rateLimits: RATE_LIMITS });
    await verifyKey(t, key.key);
    const res = await scrape(t);
    expect(sample(res, 'keyward_rate_limiter_duration_seconds_count{operation="charge"}')).toBe(1);
    expect(sample(res, 'keyward_rate_limiter_errors_total{operation="charge"}')).toBe(1);
  });

  it("reports the webhook queue depth from the store at each scrape", async () => {
    t = await createTestApp({ env: { KEYWARD_WEBHOOK_ALLOW_HTTP: "true" } });
    const hook = await t.request("POST", "/v1/webhooks", { url: "http://127.0.0.1:9/hook", events: ["*"] });
    expect(hook.statusCode, hook.body).toBe(201);
    expect(sample(await scrape(t), "keyward_webhook_queue_depth")).toBe(0);
    await createKey(t);
    await createKey(t);
    // The worker is not started in tests: both key.created deliveries wait in the queue.
    expect(sample(await scrape(t), "keyward_webhook_queue_depth")).toBe(2);
  });
});
