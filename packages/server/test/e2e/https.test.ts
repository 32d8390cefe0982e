import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { STRICT_TRANSPORT_SECURITY } from "../../src/http/api-server.js";
import { httpsRequest } from "../support/https-request.js";
import {
  isServerBuilt,
  KEYWARD_BIN,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";
import {
  makeTestCertificate,
  type TestCertificate,
  writeTestCertificate,
} from "../support/test-certificates.js";

const built = isServerBuilt();

/** Runs the built CLI as its own process. */
function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [KEYWARD_BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The TLS handshake's outcome with a client limited to `maxVersion`: the protocol, or the error code. */
function handshake(port: number, maxVersion: "TLSv1.1" | "TLSv1.2", ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      ca,
      minVersion: "TLSv1",
      maxVersion,
      // OpenSSL 3 disables TLS 1.0/1.1 at its default security level: level 0 lets the client offer 1.1,
      // so the refusal seen is the server's (a protocol_version alert), not the client's own.
      ciphers: "DEFAULT@SECLEVEL=0",
    });
    socket.once("secureConnect", () => {
      resolve(socket.getProtocol() ?? "unknown");
      socket.end();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Starts `keyward serve --port 0 --json` with extra `args`; resolves with its URL and log lines once it listens. */
function startServe(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [KEYWARD_BIN, "serve", "--port", "0", "--json", ...args], {
    env: { PATH: process.env.PATH ?? "", KEYWARD_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (typeof parsed.url === "string" && parsed.msg === undefined)
        resolve({ child, url: parsed.url, lines });
    });
    child.once("exit", (code) => reject(new Error(`keyward serve exited with ${code}: ${stderr}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

const INSECURE_WARNING = expect.objectContaining({
  level: 40,
  host: "0.0.0.0",
  msg: expect.stringContaining("serving plain HTTP on a non-loopback address (--insecure-http)"),
});

describe.skipIf(!built)("the built server over HTTPS with a certificate the test made", () => {
  let dir: string;
  let tlsDir: string;
  let files: { certPath: string; keyPath: string };
  let first: TestCertificate;
  let second: TestCertificate;
  let server: ServerProcess;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyward-e2e-https-"));
    tlsDir = join(dir, "tls");
    mkdirSync(tlsDir);
    [first, second] = await Promise.all([makeTestCertificate(), makeTestCertificate()]);
    files = writeTestCertificate(tlsDir, first);
    server = await startServerProcess({
      KEYWARD_DATA_DIR: join(dir, "data"),
      KEYWARD_TLS_CERT: files.certPath,
      KEYWARD_TLS_KEY: files.keyPath,
      KEYWARD_LOG_LEVEL: "info",
    });
    port = Number(new URL(server.url).port);
  });

  afterAll(async () => {
    if (server?.child.exitCode === null) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers over HTTPS with HSTS, and the CLI trusts the certificate through NODE_EXTRA_CA_CERTS", async () => {
    expect(server.url).toBe(`https://127.0.0.1:${port}`);
    const res = await httpsRequest(`${server.url}/healthz`, { ca: first.certPem });
    expect(res.status).toBe(200);
    expect(res.headers["strict-transport-security"]).toBe(STRICT_TRANSPORT_SECURITY);
    expect(res.fingerprint256).toBe(first.fingerprint256);

    const env = { KEYWARD_URL: server.url, KEYWARD_TOKEN: server.rootToken ?? "" };
    const trusted = cli(["projects", "list", "--json"], { ...env, NODE_EXTRA_CA_CERTS: files.certPath });
    expect(trusted.status, trusted.stderr).toBe(0);
    const untrusted = cli(["projects", "list", "--json"], env);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toContain("self-signed certificate");
  });

  it("refuses a TLS 1.1 handshake with a protocol_version alert and accepts TLS 1.2", async () => {
    expect(await handshake(port, "TLSv1.1", first.certPem)).toBe("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
    expect(await handshake(port, "TLSv1.2", first.certPem)).toBe("TLSv1.2");
  });

  it("does not answer plain HTTP on the TLS port", async () => {
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it("on SIGHUP serves the new certificate to new connections while a kept-alive one goes on with the old", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: [first.certPem, second.certPem] });
    try {
      const before = await httpsRequest(`${server.url}/healthz`, { agent });
      expect(before.fingerprint256).toBe(first.fingerprint256);

      writeTestCertificate(tlsDir, second);
      server.child.kill("SIGHUP");
      await vi.waitFor(
        () =>
          expect(server.lines).toContainEqual(
            expect.objectContaining({
              msg: "reloaded the TLS certificate; new connections use it",
              fingerprint256: second.fingerprint256,
            }),
          ),
        { timeout: 10_000, interval: 25 },
      );

      const kept = await httpsRequest(`${server.url}/healthz`, { agent });
      expect(kept).toMatchObject({ status: 200, reusedSocket: true, fingerprint256: first.fingerprint256 });
      const fresh = await httpsRequest(`${server.url}/healthz`, { ca: second.certPem });
      expect(fresh).toMatchObject({
        status: 200,
        reusedSocket: false,
        fingerprint256: second.fingerprint256,
      });

      // A reload that fails (a key that is not the certificate's) is logged; the certificate in use stays.
      writeFileSync(files.keyPath, first.keyPem);
      server.child.kill("SIGHUP");
      await vi.waitFor(
        () =>
          expect(server.lines).toContainEqual(
            expect.objectContaining({
              level: 50,
              msg: "reloading the TLS certificate failed; the previous certificate stays in use",
            }),
          ),
        { timeout: 10_000, interval: 25 },
      );
      const after = await httpsRequest(`${server.url}/healthz`, { ca: second.certPem });
      expect(after.fingerprint256).toBe(second.fingerprint256);
      expect((await httpsRequest(`${server.url}/healthz`, { agent })).reusedSocket).toBe(true);
      expect(server.child.exitCode).toBeNull();
      expect(JSON.stringify(server.lines) + server.stderr()).not.toContain(first.keyPem.split("\n")[1]);
    } finally {
      agent.destroy();
    }
  });
});

describe.skipIf(!built)("the built server on a non-loopback address without TLS", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keyward-e2e-insecure-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits non-zero with a message naming both ways out, and leaves no data directory", () => {
    const dataDir = join(dir, "refused");
    const run = cli(["serve", "--host", "0.0.0.0", "--port", "0"], { KEYWARD_DATA_DIR: dataDir });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "error: CONFIG_INVALID: Refusing to serve plain HTTP on 0.0.0.0, which is not a loopback address: set " +
        "KEYWARD_TLS_CERT and KEYWARD_TLS_KEY, or pass --insecure-http",
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it("starts with --insecure-http (or KEYWARD_INSECURE_HTTP) and logs a warning at every start", async () => {
    const env = { KEYWARD_DATA_DIR: join(dir, "insecure") };
    const flagged = await startServe(["--host", "0.0.0.0", "--insecure-http"], env);
    try {
      expect(flagged.lines).toContainEqual(INSECURE_WARNING);
      // Only loopback traffic: the listener is on every interface, but this test talks to 127.0.0.1.
      const port = new URL(flagged.url).port;
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get("strict-transport-security")).toBeNull();
    } finally {
      await stop(flagged.child);
    }
    const again = await startServerProcess({
      ...env,
      KEYWARD_HOST: "0.0.0.0",
      KEYWARD_INSECURE_HTTP: "true",
    });
    try {
      expect(again.lines).toContainEqual(INSECURE_WARNING);
    } finally {
      await again.stop();
    }
  });
});

describe.skipIf(!built)("keyward init --self-signed", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keyward-e2e-selfsigned-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a certificate and key that `keyward serve` uses as printed", async () => {
    const dataDir = join(dir, "data");
    const refused = cli(["init", "--hostname", "not a name"], { KEYWARD_DATA_DIR: dataDir });
    expect(refused).toMatchObject({ status: 1, stdout: "" });
    expect(refused.stderr).toContain("error: VALIDATION_ERROR: hostname must be a DNS name or an IP address");
    // Refused before the store: no root token was created that could not be printed.
    expect(existsSync(dataDir)).toBe(false);

    const init = cli(["init", "--self-signed", "--hostname", "keyward.test", "--json"], {
      KEYWARD_DATA_DIR: dataDir,
    });
    expect(init.status, init.stderr).toBe(0);
    const { tls } = JSON.parse(init.stdout) as {
      tls: { certPath: string; keyPath: string; created: boolean };
    };
    expect(tls).toMatchObject({ certPath: join(dataDir, "tls", "cert.pem"), created: true });
    expect(statSync(tls.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o077).toBe(0);

    const text = cli(["init", "--self-signed"], { KEYWARD_DATA_DIR: dataDir });
    expect(text.stdout).toContain(`  export KEYWARD_TLS_CERT=${tls.certPath}\n`);
    expect(text.stdout).toContain(`  export KEYWARD_TLS_KEY=${tls.keyPath}\n`);

    const server = await startServerProcess({
      KEYWARD_DATA_DIR: dataDir,
      KEYWARD_TLS_CERT: tls.certPath,
      KEYWARD_TLS_KEY: tls.keyPath,
    });
    try {
      const localhost = server.url.replace("127.0.0.1", "localhost");
      const res = await httpsRequest(`${localhost}/healthz`, { ca: readFileSync(tls.certPath, "utf8") });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
