import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "./config.js";
import { type RunningServer, startServer } from "./server.js";

let dataDir: string;
let server: RunningServer | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "keyward-server-"));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts a server on free ports with `env`, and returns it with its root token. */
async function start(env: Record<string, string>): Promise<{ server: RunningServer; rootToken: string }> {
  let rootToken = "";
  const config = parseConfig(
    { KEYWARD_PORT: "0", KEYWARD_DATA_DIR: dataDir, ...env },
    { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false },
  );
  const started = await startServer({
    config,
    logger: pino({ level: "silent" }),
    printRootToken: (token) => {
      rootToken = token;
    },
  });
  return { server: started, rootToken };
}

describe("startServer() metrics", () => {
  it("serves /metrics only to metrics:read tokens on the main port when no metrics listener is configured", async () => {
    const started = await start({});
    server = started.server;
    expect(server.metricsUrl).toBeNull();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${started.rootToken}` },
    });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain("keyward_verifications_total");
  });

  it("with KEYWARD_METRICS_LISTEN serves /metrics without a token there, keeps the main route protected, and closes it", async () => {
    const started = await start({ KEYWARD_METRICS_LISTEN: "127.0.0.1:0" });
    server = started.server;
    const metricsUrl = server.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(server.url);
    const open = await fetch(`${metricsUrl}/metrics`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain("keyward_verifications_total");
    // The listener serves metrics and nothing else: the API is not reachable through it.
    expect((await fetch(`${metricsUrl}/v1/keys`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);

    await server.close();
    server = undefined;
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });

  it("fails to start when the metrics address is taken", async () => {
    const first = await start({ KEYWARD_METRICS_LISTEN: "127.0.0.1:0" });
    server = first.server;
    const port = new URL(first.server.metricsUrl ?? "").port;
    const secondDir = mkdtempSync(join(tmpdir(), "keyward-server-"));
    try {
      const config = parseConfig(
        { KEYWARD_PORT: "0", KEYWARD_DATA_DIR: secondDir, KEYWARD_METRICS_LISTEN: `127.0.0.1:${port}` },
        { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false },
      );
      await expect(
        startServer({ config, logger: pino({ level: "silent" }), printRootToken: () => {} }),
      ).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      rmSync(secondDir, { recursive: true, force: true });
    }
  });
});
