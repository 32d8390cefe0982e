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
});
