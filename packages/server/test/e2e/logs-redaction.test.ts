import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isServerBuilt,
  KEYWARD_BIN,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";

const built = isServerBuilt();

/** One raw HTTP exchange with the server; never throws on a status. */
async function send(
  url: string,
  options: {
    method?: string;
    token?: string | null;
    body?: unknown;
    raw?: string;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; text: string }> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const res = await fetch(url, {
    method: options.method ?? (payload === undefined ? "GET" : "POST"),
    headers: {
      ...(options.token == null ? {} : { authorization: `Bearer ${options.token}` }),
      ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json" }),
      ...options.headers,
    },
    ...(payload === undefined ? {} : { body: payload }),
  });
  return { status: res.status, text: await res.text() };
}

/** Parses a JSON answer and asserts its status. */
async function expectJson<T = Record<string, unknown>>(
  exchange: Promise<{ status: number; text: string }>,
  status: number,
): Promise<T> {
  const { status: actual, text } = await exchange;
  expect(actual, text.slice(0, 300)).toBe(status);
  return JSON.parse(text) as T;
}

describe.skipIf(!built)("logs of a full run with trace logging and request logs on", () => {
  let dataDir: string;
  let server: ServerProcess;
  let receiver: WebhookReceiver;
  let rootToken: string;
  /** Every secret the run created or sent, by what it is. */
  const secrets = new Map<string, string>();
  let output = "";

  function remember(what: string, secret: string): string {
    expect(secret.length, what).toBeGreaterThanOrEqual(20);
    secrets.set(what, secret);
    return secret;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyward-logs-"));
    // The root token is printed once, by design, by the process that creates it: init runs apart, so the
    // server's own output is expected to hold no secret at all.
    const init = spawnSync(process.execPath, [KEYWARD_BIN, "init", "--json"], {
      env: { PATH: process.env.PATH ?? "", KEYWARD_DATA_DIR: dataDir },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(init.status, init.stderr).toBe(0);
    rootToken = remember("root token", (JSON.parse(init.stdout) as { rootToken: string }).rootToken);
    remember("master key", readFileSync(join(dataDir, "master.key"), "utf8").trim());
    receiver = await startWebhookReceiver({
      // The receiver answers 500 to every other request: retries and their logs are part of the run.
      respond: (req) => (req.body.length % 2 === 0 ? 200 : 500),
    });
    server = await startServerProcess({
      KEYWARD_DATA_DIR: dataDir,
      KEYWARD_LOG_LEVEL: "trace",
      KEYWARD_LOG_REQUESTS: "true",
      KEYWARD_WEBHOOK_ALLOW_HTTP: "true",
      KEYWARD_WEBHOOK_POLL_MS: "50",
      KEYWARD_WEBHOOK_FIRST_RETRY_MS: "50",
      KEYWARD_METRICS_LISTEN: "127.0.0.1:0",
      KEYWARD_BRUTE_FORCE_LIMIT: "5",
    });
  }, 30_000);

  afterAll(async () => {
    if (server?.child.exitCode === null) await server.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs every kind of request that carries a secret, then finds none of them in stdout or stderr", async () => {
    const api = (path: string) => `${server.url}${path}`;
    const admin = remember(
      "admin token",
      (
        await expectJson<{ token: string }>(
          send(api("/v1/tokens"), {
            token: rootToken,
            body: { name: "admin", permissions: ["keys:*", "webhooks:*", "tokens:*", "ratelimit:*"] },
          }),
          201,
        )
      ).token,
    );
    const project = await expectJson<{ id: string }>(
      send(api("/v1/projects"), { token: rootToken, body: { name: "logs", keyPrefix: "logs" } }),
      201,
    );

    // Webhooks: one with a secret of our own, one with a generated secret, one refused with a bad secret.
    const ownSecret = remember("own webhook secret", `whsec_${Buffer.alloc(32, 7).toString("base64")}`);
    await expectJson(
      send(api("/v1/webhooks"), {
        token: admin,
        body: { projectId: project.id, url: receiver.url, events: ["*"], secret: ownSecret },
      }),
      201,
    );
    const generated = await expectJson<{ secret: string }>(
      send(api("/v1/webhooks"), { token: admin, body: { url: `${receiver.url}/default`, events: ["*"] } }),
      201,
    );
    remember("generated webhook secret", generated.secret);
    const badSecret = remember("refused webhook secret", `whsec_${"A".repeat(20)}!!notbase64`);
    await expectJson(
      send(api("/v1/webhooks"), { token: admin, body: { url: receiver.url, secret: badSecret } }),
      400,
    );

    // Keys: plain, limited, in the project; rotated and revoked.
    const created = async (what: string, body: Record<string, unknown>) => {
      const answer = await expectJson<{ key: string; id: string }>(
        send(api("/v1/keys"), { token: admin, body }),
        201,
      );
      remember(what, answer.key);
      return answer;
    };
    const plain = await created("plain key", { name: "plain", scopes: ["read"] });
    const limited = await created("limited key", {
      rateLimits: [{ name: "requests", limit: 2, windowMs: 60_000 }],
      quota: { remaining: 3 },
    });
    const inProject = await created("project key", { projectId: project.id, ownerId: "owner_1" });
    const rotated = await expectJson<{ key: string }>(
      send(api(`/v1/keys/${inProject.id}/rotate`), { token: admin, body: { gracePeriodSeconds: 0 } }),
      201,
    );
    remember("rotated key", rotated.key);
    const doomed = await created("revoked key", { name: "doomed" });
    await expectJson(
      send(api(`/v1/keys/${doomed.id}/revoke`), { token: admin, body: { reason: "test" } }),
      200,
    );

    // Tokens: minted, used, revoked, then used again.
    const verifier = await expectJson<{ token: string; id: string }>(
      send(api("/v1/tokens"), { token: admin, body: { name: "verifier", permissions: ["keys:verify"] } }),
      201,
    );
    remember("verifier token", verifier.token);
    const verify = (body: unknown, token: string | null = verifier.token) =>
      send(api("/v1/keys/verify"), { token, body });
    const verified = [
      await verify({ key: plain.key, scopes: ["read"] }),
      await verify({ key: plain.key, scopes: ["write"] }),
      await verify({ key: inProject.key }),
      await verify({ key: rotated.key }),
      await verify({ key: doomed.key }),
      ...(await Promise.all([1, 2, 3].map(() => verify({ key: limited.key })))),
      await verify({ key: `${plain.key.slice(0, -1)}x` }),
      await verify({ key: "logs_thisisnotakeyatallbutlookslikeone0000000000" }),
    ];
    expect(verified.map((v) => v.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200]);
    expect(verified.map((v) => (JSON.parse(v.text) as { code: string }).code)).toEqual([
      "VALID",
      "INSUFFICIENT_SCOPE",
      "EXPIRED",
      "VALID",
      "REVOKED",
      expect.any(String),
      expect.any(String),
      expect.any(String),
      "NOT_FOUND",
      "NOT_FOUND",
    ]);

    // Failing requests with secrets in bodies, headers, paths and query strings.
    const failing = [
      await verify({ key: plain.key, ip: "not-an-ip" }),
      await send(api("/v1/keys/verify"), { token: verifier.token, raw: `{"key":"${plain.key}"` }),
      await send(api("/v1/keys/verify"), {
        token: verifier.token,
        raw: plain.key,
        contentType: "text/plain",
      }),
      await send(api("/v1/keys/verify"), {
        token: verifier.token,
        raw: JSON.stringify({ key: plain.key, pad: "x".repeat(70_000) }),
      }),
      await verify({ key: plain.key, unknownField: limited.key }),
      await send(api("/v1/keys"), { token: admin, body: { name: plain.key, nmae: plain.key } }),
      await verify({ key: plain.key }, plain.key),
      await verify({ key: plain.key }, `${verifier.token}x`),
      await send(api("/v1/keys"), { token: null, headers: { authorization: `Basic ${verifier.token}` } }),
      await send(api("/v1/keys"), { token: null, headers: { "x-api-key": plain.key, cookie: `k=${admin}` } }),
      await send(api(`/v1/keys/${plain.key}`), { token: admin }),
      await send(api(`/v1/keys?ownerId=${plain.key}&token=${admin}`), { token: admin }),
      await send(api(`/v1/keys?ownerId=${plain.key}`), { token: admin }),
      await send(api(`/v1/keys/verify?key=${plain.key}`), {
        token: verifier.token,
        body: { key: plain.key },
      }),
      await send(api(`/v1/no-such-route/${limited.key}?secret=${ownSecret}`), { token: admin }),
      await send(api(`/v1/webhooks?secret=${encodeURIComponent(ownSecret)}`), { token: admin }),
      await send(api("/v1/ratelimit"), {
        token: admin,
        body: { namespace: "login", identifier: plain.key, limit: 5, windowMs: 60_000 },
      }),
    ];
    expect(failing.map((f) => f.status)).toEqual([
      400, 400, 415, 413, 400, 400, 401, 401, 401, 401, 404, 400, 200, 200, 404, 400, 200,
    ]);
    // Brute force: a source that keeps failing is throttled and reported (event, webhook, log).
    for (let i = 0; i < 7; i++) await verify({ key: `${plain.key}${i}`, ip: "203.0.113.50" });

    await expectJson(send(api(`/v1/tokens/${verifier.id}/revoke`), { token: admin, body: {} }), 200);
    expect((await verify({ key: plain.key })).status).toBe(401);

    // The unauthenticated metrics listener must not hold a secret either.
    const metricsUrl = server.lines.find((l) => typeof l.metricsUrl === "string")?.metricsUrl as string;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await send(`${metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('keyward_verifications_total{code="VALID"}');

    // Deliveries (some answered 500, so retried) happen before the logs are read.
    await receiver.waitFor((all) => all.length >= 10, 15_000);
    expect(await server.stop()).toBe(0);

    output = `${server.lines.map((line) => JSON.stringify(line)).join("\n")}\n${server.stderr()}`;
    expect(output, "request logging is on, so there is something to check").toContain("incoming request");
    expect(output).toContain("request completed");
    const found: string[] = [];
    for (const [what, secret] of secrets) {
      // The whole secret, and the random part alone (after its prefix) in case it was logged split.
      const random = secret.slice(secret.lastIndexOf("_") + 1);
      if (output.includes(secret) || output.includes(random)) found.push(what);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && output.includes(encoded)) found.push(`${what} (URL-encoded)`);
    }
    expect(found, "secrets found in the server's logs").toEqual([]);
    expect(output.toLowerCase()).not.toMatch(/bearer\s+kwr_/);
    expect(output).not.toMatch(/whsec_[A-Za-z0-9+/]{8}/);
    expect(metrics.text.includes(plain.key) || metrics.text.includes(admin)).toBe(false);
  }, 60_000);
});
