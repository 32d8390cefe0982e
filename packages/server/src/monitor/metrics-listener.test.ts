import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";
import { type MetricsListener, startMetricsListener } from "./metrics-listener.js";

let listener: MetricsListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const logger = pino({ level: "silent" });

describe("startMetricsListener()", () => {
  it("serves GET /metrics without authentication in the Prometheus text format", async () => {
    const metrics = createMetrics();
    metrics.verification("VALID", 0.001);
    listener = await startMetricsListener({ metrics, logger, host: "127.0.0.1", port: 0 });
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${listener.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await res.text()).toContain('keyward_verifications_total{code="VALID"} 1');
  });

  it("answers HEAD with headers only, other paths 404 and other methods 405", async () => {
    listener = await startMetricsListener({ metrics: createMetrics(), logger, host: "127.0.0.1", port: 0 });
    const head = await fetch(`${listener.url}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${listener.url}/metrics?name[]=x`)).status).toBe(200);
    for (const path of ["/", "/v1/keys", "/metrics/x", "/healthz"]) {
      const res = await fetch(`${listener.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain("keyward_");
    }
    const post = await fetch(`${listener.url}/metrics`, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 500 and logs when the metrics cannot be rendered", async () => {
    const errors: unknown[] = [];
    listener = await startMetricsListener({
      metrics: { contentType: "text/plain", render: () => Promise.reject(new Error("collect failed")) },
      logger: { error: (...args: unknown[]) => errors.push(args) } as never,
      host: "127.0.0.1",
      port: 0,
    });
    const res = await fetch(`${listener.url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("collect failed");
    expect(errors).toHaveLength(1);
  });

  it("rejects when the address is taken, and close() ends kept-alive scrape connections", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(
        startMetricsListener({ metrics: createMetrics(), logger, host: "127.0.0.1", port }),
      ).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    listener = await startMetricsListener({ metrics: createMetrics(), logger, host: "127.0.0.1", port: 0 });
    await fetch(`${listener.url}/metrics`, { headers: { connection: "keep-alive" } });
    const closing = listener.close();
    listener = undefined;
    await closing;
  });
});
