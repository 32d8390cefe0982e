import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

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
});
