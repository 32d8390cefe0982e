import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UnavailableRateLimiter } from "../../test/support/unavailable-rate-limiter.js";
import { MemoryRateLimiter } from "../limits/memory-rate-limiter.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import { StoreFixtures, T0 } from "../store/store-fixtures.js";
import type { Stores } from "../store/stores.js";
import { instrumentLimiter } from "./instrumented-limiter.js";
import { instrumentStores } from "./instrumented-stores.js";
import { createMetrics, type Metrics } from "./metrics.js";

/** The value of one sample line of the exposition, or undefined when the series is missing. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let metrics: Metrics;
let stores: Stores;

beforeEach(async () => {
  metrics = createMetrics();
  stores = instrumentStores(openSqliteStores({ path: ":memory:" }), metrics);
  await stores.keys.migrate();
});

afterEach(async () => {
  await stores.keys.close();
});

describe("instrumentStores()", () => {
  it("times every call of every store by method name, and counts a failed one", async () => {
    const fx = new StoreFixtures(stores);
    const project = await fx.createProject();
    await stores.keys.findKeyByDigest(Buffer.alloc(32));
    await stores.lifecycle.findInactiveKeys({
      projectId: project.id,
      unusedSinceMs: T0,
      nowMs: T0,
      limit: 10,
    });
    await stores.webhooks.listWebhooks({ projectIds: [project.id], limit: 10 });
    await stores.keys.close();
    await expect(stores.keys.findKey("key_x")).rejects.toThrow();
    const text = await metrics.render();
    for (const operation of [
      "createProject",
      "findKeyByDigest",
      "findInactiveKeys",
      "listWebhooks",
      "findKey",
    ]) {
      const series = `keyward_store_operation_duration_seconds_count{operation="${operation}"}`;
      expect(sample(text, series), series).toBe(1);
    }
    expect(sample(text, 'keyward_store_errors_total{operation="findKeyByDigest"}')).toBe(0);
    expect(sample(text, 'keyward_store_errors_total{operation="findKey"}')).toBe(1);
  });

  it("counts each recorded delivery attempt by outcome, and the queue depth through the same seam", async () => {
    const fx = new StoreFixtures(stores);
    const project = await fx.createProject();
    await fx.createWebhook(project.id);
    const events = [1, 2, 3].map(() => fx.makeEvent(project.id, "key.created"));
    await stores.webhooks.appendEvents(events);
    metrics.trackWebhookQueueDepth(() => stores.webhooks.countPendingDeliveries());
    expect(sample(await metrics.render(), "keyward_webhook_queue_depth")).toBe(3);

    const now = T0 + 3_600_000;
    const claimed = await stores.webhooks.claimDeliveries({
      nowMs: now,
      leaseUntilMs: now + 60_000,
      limit: 10,
    });
    const outcomes = [
      { status: "delivered" as const },
      { status: "pending" as const, nextAttemptAt: now + 5_000 },
      { status: "failed" as const },
    ];
    for (const [i, c] of claimed.entries()) {
      await stores.webhooks.finishDelivery({
        webhookId: c.webhookId,
        eventId: c.eventId,
        attempt: {
          attempt: c.attempt,
          attemptedAt: now,
          durationMs: 5,
          statusCode: 500,
          error: null,
          responseBody: null,
        },
        outcome: outcomes[i] ?? { status: "failed" },
      });
    }
    const text = await metrics.render();
    expect(sample(text, 'keyward_webhook_deliveries_total{outcome="delivered"}')).toBe(1);
    expect(sample(text, 'keyward_webhook_deliveries_total{outcome="retry"}')).toBe(1);
    expect(sample(text, 'keyward_webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(sample(text, "keyward_webhook_queue_depth")).toBe(1);
    // The count of a scrape is timed after that scrape's histograms were written: it shows in the next one.
    expect(
      sample(text, 'keyward_store_operation_duration_seconds_count{operation="countPendingDeliveries"}'),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe("instrumentLimiter()", () => {
  it("times each limiter call by method", async () => {
    const limiter = instrumentLimiter(new MemoryRateLimiter(), metrics);
    await limiter.charge({ limits: [{ key: "k", limit: 5, windowMs: 1_000, cost: 1 }], nowMs: T0 });
    await limiter.ping();
    const text = await metrics.render();
    expect(sample(text, 'keyward_rate_limiter_duration_seconds_count{operation="charge"}')).toBe(1);
    expect(sample(text, 'keyward_rate_limiter_duration_seconds_count{operation="ping"}')).toBe(1);
    expect(sample(text, 'keyward_rate_limiter_errors_total{operation="charge"}')).toBe(0);
  });

  it("counts RATE_LIMITER_UNAVAILABLE as an error of the operation", async () => {
    const limiter = instrumentLimiter(new UnavailableRateLimiter(), metrics);
    await expect(limiter.charge({ limits: [], nowMs: T0 })).rejects.toMatchObject({
      code: "RATE_LIMITER_UNAVAILABLE",
    });
    await expect(limiter.ping()).rejects.toMatchObject({ code: "RATE_LIMITER_UNAVAILABLE" });
    const text = await metrics.render();
    expect(sample(text, 'keyward_rate_limiter_errors_total{operation="charge"}')).toBe(1);
    expect(sample(text, 'keyward_rate_limiter_errors_total{operation="ping"}')).toBe(1);
  });
});
