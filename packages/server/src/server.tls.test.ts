import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../test/support/expect-keyward-error.js";
import { httpsRequest } from "../test/support/https-request.js";
import {
  makeTestCertificate,
  type TestCertificate,
  writeTestCertificate,
} from "../test/support/test-certificates.js";
import { parseConfig } from "./config.js";
import { STRICT_TRANSPORT_SECURITY } from "./http/api-server.js";
import { type RunningServer, startServer } from "./server.js";

let dir: string;
let dataDir: string;
let server: RunningServer | undefined;
let logLines: Record<string, unknown>[];
let first: TestCertificate;
let second: TestCertificate;

beforeAll(async () => {
  [first, second] = await Promise.all([makeTestCertificate(), makeTestCertificate()]);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyward-server-tls-"));
  dataDir = join(dir, "data");
  logLines = [];
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a server on a free loopback port with `env`, logging into `logLines`. */
async function start(env: Record<string, string>): Promise<{ server: RunningServer; rootToken: string }> {
  let rootToken = "";
  const config = parseConfig(
    { KEYWARD_PORT: "0", KEYWARD_DATA_DIR: dataDir, ...env },
    { masterKey: randomBytes(32), schedulerEnabled: false },
  );
  const logger = pino(
    { level: "info" },
    { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const started = await startServer({
    config,
    logger,
    printRootToken: (token) => {
      rootToken = token;
    },
  });
  return { server: started, rootToken };
}

function tlsEnv(files: { certPath: string; keyPath: string }): Record<string, string> {
  return { KEYWARD_TLS_CERT: files.certPath, KEYWARD_TLS_KEY: files.keyPath };
}

describe("startServer() with KEYWARD_TLS_CERT and KEYWARD_TLS_KEY", () => {
  it("serves HTTPS and sends HSTS on every response: Fastify routes, errors and the verify fast path", async () => {
    const started = await start(tlsEnv(writeTestCertificate(dir, first)));
    server = started.server;
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = first.certPem;
    const health = await httpsRequest(`${server.url}/healthz`, { ca });
    const missing = await httpsRequest(`${server.url}/v1/nothing-here`, { ca });
    const verified = await httpsRequest(`${server.url}/v1/keys/verify`, {
      ca,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${started.rootToken}` },
      body: JSON.stringify({ key: "kw_notakeyatall" }),
    });
    const refused = await httpsRequest(`${server.url}/v1/keys/verify`, {
      ca,
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer kwr_wrong" },
      body: JSON.stringify({ key: "kw_notakeyatall" }),
    });
    expect([health.status, missing.status, verified.status, refused.status]).toEqual([200, 404, 200, 401]);
    for (const response of [health, missing, verified, refused]) {
      expect(response.headers["strict-transport-security"]).toBe(STRICT_TRANSPORT_SECURITY);
      expect(response.fingerprint256).toBe(first.fingerprint256);
    }
    expect(JSON.parse(verified.body)).toMatchObject({ valid: false });
    expect(health.protocol).toBe("TLSv1.3");
    expect(logLines).toContainEqual(
      expect.objectContaining({
        msg: "serving HTTPS with this certificate",
        fingerprint256: first.fingerprint256,
      }),
    );
    expect(JSON.stringify(logLines)).not.toContain(first.keyPem.split("\n")[1]);
  });

  it("sends no HSTS over plain HTTP on loopback", async () => {
    server = (await start({})).server;
    expect(server.url).toMatch(/^http:\/\//);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("strict-transport-security")).toBeNull();
  });

  it("reloadTls() gives new connections the new certificate, and a failed reload keeps the one in use", async () => {
    const files = writeTestCertificate(dir, first);
    server = (await start(tlsEnv(files))).server;
    const url = `${server.url}/healthz`;

    writeTestCertificate(dir, second);
    expect(await server.reloadTls()).toBe(true);
    expect((await httpsRequest(url, { ca: second.certPem })).fingerprint256).toBe(second.fingerprint256);
    await expect(httpsRequest(url, { ca: first.certPem })).rejects.toThrow(/self-signed certificate/);

    writeFileSync(files.keyPath, first.keyPem);
    expect(await server.reloadTls()).toBe(false);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: "reloading the TLS certificate failed; the previous certificate stays in use",
        err: expect.objectContaining({ code: "TLS_KEY_MISMATCH" }),
      }),
    );
    expect((await httpsRequest(url, { ca: second.certPem })).fingerprint256).toBe(second.fingerprint256);
    expect(JSON.stringify(logLines)).not.toContain(first.keyPem.split("\n")[1]);
  });

  it("refuses to start with a key that does not match, before touching the data directory", async () => {
    const files = writeTestCertificate(dir, { certPem: first.certPem, keyPem: second.keyPem });
    await expectKeywardError(start(tlsEnv(files)), "TLS_KEY_MISMATCH");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("warns at start when the certificate has expired, and serves it anyway", async () => {
    const expired = await makeTestCertificate({ nowMs: Date.now() - 100 * 86_400_000 });
    server = (await start(tlsEnv(writeTestCertificate(dir, expired)))).server;
    expect(logLines).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^The TLS certificate expired at /) }),
    );
  });
});

describe("startServer() without TLS", () => {
  it("refuses a non-loopback host with CONFIG_INVALID before touching the data directory", async () => {
    const error = await expectKeywardError(start({ KEYWARD_HOST: "0.0.0.0" }), "CONFIG_INVALID");
    expect(error.message).toContain("--insecure-http");
    expect(existsSync(dataDir)).toBe(false);
  });
});
