import { describe, expect, it } from "vitest";
import { ALERT_TYPES, createMetrics, VERIFY_CODES } from "./metrics.js";

/** The value of one sample line of the exposition, or undefined when the series is missing. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const VERIFY_OPEN = 'keyward_rate_limiter_unavailable_total{source="verify",outcome="fail_open"}';

describe("createMetrics()", () => {
  it("exposes every possible limiter outage series at 0 before any outage", async () => {
    const text = await createMetrics().render();
    expect(text).toContain("# TYPE keyward_rate_limiter_unavailable_total counter");
    for (const [source, outcome] of [
      ["verify", "fail_open"],
      ["verify", "fail_closed"],
      ["ratelimit", "fail_open"],
      ["ratelimit", "fail_closed"],
      ["brute_force", "not_counted"],
    ]) {
      const series = `keyward_rate_limiter_unavailable_total{source="${source}",outcome="${outcome}"}`;
      expect(sample(text, series), series).toBe(0);
    }
  });

  it("limiterUnavailable() counts per source and outcome", async () => {
    const metrics = createMetrics();
    metrics.limiterUnavailable("verify", "fail_open");
    metrics.limiterUnavailable("verify", "fail_open");
    metrics.limiterUnavailable("brute_force", "not_counted");
    const text = await metrics.render();
    expect(sample(text, VERIFY_OPEN)).toBe(2);
    expect(
      sample(text, 'keyward_rate_limiter_unavailable_total{source="brute_force",outcome="not_counted"}'),
    ).toBe(1);
    expect(
      sample(text, 'keyward_rate_limiter_unavailable_total{source="verify",outcome="fail_closed"}'),
    ).toBe(0);
  });

  it("keeps each instance's counters apart while every instance shows the process metrics", async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.limiterUnavailable("verify", "fail_open");
    const [a, b] = await Promise.all([first.render(), second.render()]);
    expect(sample(a, VERIFY_OPEN)).toBe(1);
    expect(sample(b, VERIFY_OPEN)).toBe(0);
    for (const text of [a, b]) {
      expect(text).toContain("keyward_process_cpu_user_seconds_total");
      expect(text).toContain("keyward_nodejs_eventloop_lag_seconds");
    }
  });

  it("answers the Prometheus text format 0.0.4", () => {
    expect(createMetrics().contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  it("starts every verification code, cache result, delivery outcome and alert type at 0", async () => {
    const text = await createMetrics().render();
    for (const code of VERIFY_CODES)
      expect(sample(text, `keyward_verifications_total{code="${code}"}`)).toBe(0);
    for (const result of ["hit", "miss"]) {
      expect(sample(text, `keyward_verify_cache_requests_total{result="${result}"}`)).toBe(0);
    }
    for (const outcome of ["delivered", "retry", "failed"]) {
      expect(sample(text, `keyward_webhook_deliveries_total{outcome="${outcome}"}`)).toBe(0);
    }
    for (const type of ALERT_TYPES) expect(sample(text, `keyward_alerts_total{type="${type}"}`)).toBe(0);
    expect(sample(text, "keyward_verify_duration_seconds_count")).toBe(0);
    expect(sample(text, "keyward_webhook_queue_depth")).toBe(0);
  });

  it("verification() counts by code, including codes outside the list, and observes the latency", async () => {
    const metrics = createMetrics();
    metrics.verification("VALID", 0.0002);
    metrics.verification("VALID", 0.003);
    metrics.verification("STORE_UNAVAILABLE", 0.5);
    const text = await metrics.render();
    expect(sample(text, 'keyward_verifications_total{code="VALID"}')).toBe(2);
    expect(sample(text, 'keyward_verifications_total{code="STORE_UNAVAILABLE"}')).toBe(1);
    expect(sample(text, "keyward_verify_duration_seconds_count")).toBe(3);
    expect(sample(text, 'keyward_verify_duration_seconds_bucket{le="0.00025"}')).toBe(1);
    expect(sample(text, 'keyward_verify_duration_seconds_bucket{le="0.005"}')).toBe(2);
    expect(sample(text, 'keyward_verify_duration_seconds_bucket{le="1"}')).toBe(3);
    expect(sample(text, "keyward_verify_duration_seconds_sum")).toBeCloseTo(0.5032, 6);
  });

  it("verifyCacheLookup() and alert() count per label", async () => {
    const metrics = createMetrics();
    metrics.verifyCacheLookup("hit");
    metrics.verifyCacheLookup("hit");
    metrics.verifyCacheLookup("miss");
    metrics.alert("canary");
    const text = await metrics.render();
    expect(sample(text, 'keyward_verify_cache_requests_total{result="hit"}')).toBe(2);
    expect(sample(text, 'keyward_verify_cache_requests_total{result="miss"}')).toBe(1);
    expect(sample(text, 'keyward_alerts_total{type="canary"}')).toBe(1);
    expect(sample(text, 'keyward_alerts_total{type="spike"}')).toBe(0);
  });

  it("store and limiter operations get a histogram per method and an error series from their first call", async () => {
    const metrics = createMetrics();
    metrics.storeOperation("findKeyByDigest", 0.0004);
    metrics.rateLimiterOperation("charge", 0.002);
    metrics.rateLimiterError("charge");
    const text = await metrics.render();
    expect(sample(text, 'keyward_store_operation_duration_seconds_count{operation="findKeyByDigest"}')).toBe(
      1,
    );
    expect(sample(text, 'keyward_store_errors_total{operation="findKeyByDigest"}')).toBe(0);
    expect(sample(text, 'keyward_rate_limiter_duration_seconds_count{operation="charge"}')).toBe(1);
    expect(sample(text, 'keyward_rate_limiter_errors_total{operation="charge"}')).toBe(1);
  });

  it("reads the webhook queue depth at each scrape and keeps the last value when the count fails", async () => {
    const metrics = createMetrics();
    let pending: number | Error = 4;
    metrics.trackWebhookQueueDepth(async () => {
      if (pending instanceof Error) throw pending;
      return pending;
    });
    expect(sample(await metrics.render(), "keyward_webhook_queue_depth")).toBe(4);
    pending = 9;
    expect(sample(await metrics.render(), "keyward_webhook_queue_depth")).toBe(9);
    pending = new Error("the store is down");
    expect(sample(await metrics.render(), "keyward_webhook_queue_depth")).toBe(9);
  });

  it("webhookDelivery() counts per outcome", async () => {
    const metrics = createMetrics();
    metrics.webhookDelivery("retry");
    metrics.webhookDelivery("retry");
    metrics.webhookDelivery("delivered");
    const text = await metrics.render();
    expect(sample(text, 'keyward_webhook_deliveries_total{outcome="retry"}')).toBe(2);
    expect(sample(text, 'keyward_webhook_deliveries_total{outcome="delivered"}')).toBe(1);
    expect(sample(text, 'keyward_webhook_deliveries_total{outcome="failed"}')).toBe(0);
  });
});
