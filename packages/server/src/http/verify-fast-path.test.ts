import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, mintToken } from "../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { UnavailableRateLimiter } from "../../test/support/unavailable-rate-limiter.js";
import { createRequestIdGenerator } from "./request-id.js";
import { createVerifyFastPath } from "./verify-fast-path.js";

/** The fast path alone on a socket, over the same services as an app's Fastify routes. */
interface FastPathServer {
  app: TestApp;
  url: string;
  /** Requests the fast path took. */
  taken: number;
  server: Server;
}

let main: FastPathServer;
let t: TestApp;

/**
 * Serves `app`'s services through the fast path alone: every request it declines is a test failure (501), so
 * each case really runs through it.
 */
async function serveFastPath(app: TestApp): Promise<FastPathServer> {
  const fastPath = createVerifyFastPath({
    keys: app.instance.keys,
    tokens: app.instance.tokens,
    metrics: app.instance.metrics,
    logger: pino({ level: "silent" }),
    bodyLimitBytes: 64 * 1024,
    nextRequestId: createRequestIdGenerator(),
    isClosing: () => false,
  });
  const served: FastPathServer = { app, url: "", taken: 0, server: createServer() };
  served.server.on("request", (req, res) => {
    if (fastPath(req, res)) {
      served.taken += 1;
      return;
    }
    res.writeHead(501).end();
  });
  await new Promise<void>((resolve) => served.server.listen(0, "127.0.0.1", resolve));
  served.url = `http://127.0.0.1:${(served.server.address() as AddressInfo).port}/v1/keys/verify`;
  return served;
}

async function stop(served: FastPathServer): Promise<void> {
  await new Promise((resolve) => served.server.close(resolve));
  await served.app.close();
}

beforeAll(async () => {
  // Brute-force throttling is off here: both paths count failures from the same address, so the request that
  // reaches the limit on one path would be answered 429 on the other. It has its own parity case below.
  t = await createTestApp({ env: { KEYWARD_BRUTE_FORCE_LIMIT: "0" } });
  main = await serveFastPath(t);
});

afterAll(async () => {
  await stop(main);
});

interface Answer {
  status: number;
  type: string | undefined;
  authenticate: string | undefined;
  retryAfter: string | undefined;
  body: Record<string, unknown>;
}

function normalize(status: number, headers: (name: string) => string | undefined, text: string): Answer {
  const body = JSON.parse(text) as Record<string, unknown>;
  if (status >= 400) {
    expect(headers("x-request-id")).toBe(body.requestId);
    body.requestId = "<id>";
  }
  return {
    status,
    type: headers("content-type"),
    authenticate: headers("www-authenticate"),
    retryAfter: headers("retry-after"),
    body,
  };
}

async function throughFastify(on: FastPathServer, payload: string, token: string): Promise<Answer> {
  const res = await on.app.app.inject({
    method: "POST",
    url: "/v1/keys/verify",
    headers: { authorization: token, "content-type": "application/json" },
    payload,
  });
  const header = (name: string) => res.headers[name] as string | undefined;
  return normalize(res.statusCode, header, res.body);
}

async function throughFastPath(on: FastPathServer, payload: string, token: string): Promise<Answer> {
  const before = on.taken;
  const res = await fetch(on.url, {
    method: "POST",
    headers: { authorization: token, "content-type": "application/json" },
    body: payload,
  });
  expect(on.taken, "the fast path must take this request").toBe(before + 1);
  return normalize(res.status, (name) => res.headers.get(name) ?? undefined, await res.text());
}

async function expectParityOn(on: FastPathServer, payload: string, token = `Bearer ${on.app.rootToken}`) {
  const fast = await throughFastPath(on, payload, token);
  expect(fast).toEqual(await throughFastify(on, payload, token));
  return fast;
}

async function expectParity(payload: string, token = `Bearer ${t.rootToken}`): Promise<Answer> {
  return expectParityOn(main, payload, token);
}

describe("the verify fast path answers exactly as the Fastify route", () => {
  it("for every verification outcome", async () => {
    const projectId = await createProject(t, { name: "fast" });
    const valid = await createKey(t, { projectId, scopes: ["orders:*"], meta: { plan: "pro" }, name: "n" });
    const revoked = await createKey(t, { projectId });
    await t.request("POST", `/v1/keys/${revoked.id}/revoke`, {});
    const disabled = await createKey(t, { projectId, enabled: false });

    expect((await expectParity(JSON.stringify({ key: valid.key }))).body).toMatchObject({ code: "VALID" });
    expect((await expectParity(JSON.stringify({ key: valid.key, scopes: ["orders:read"] }))).body.valid).toBe(
      true,
    );
    expect((await expectParity(JSON.stringify({ key: valid.key, scopes: ["x"] }))).body.code).toBe(
      "INSUFFICIENT_SCOPE",
    );
    expect((await expectParity(JSON.stringify({ key: revoked.key }))).body.code).toBe("REVOKED");
    expect((await expectParity(JSON.stringify({ key: disabled.key }))).body.code).toBe("DISABLED");
    expect((await expectParity(JSON.stringify({ key: "kw_nope" }))).body).toEqual({
      valid: false,
      code: "NOT_FOUND",
    });
    expect((await expectParity(JSON.stringify({ key: valid.key, ip: "2001:db8::1" }))).body.code).toBe(
      "VALID",
    );

    const otherProject = await mintToken(t, ["keys:verify"], {
      projectIds: [await createProject(t, { name: "o" })],
    });
    const hidden = await expectParity(JSON.stringify({ key: valid.key }), `Bearer ${otherProject.token}`);
    expect(hidden.body).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("for the rotation fields: rotationDue, and rotation during a grace window", async () => {
    const projectId = await createProject(t, { name: "rotating" });
    const policies = await t.request("PATCH", `/v1/projects/${projectId}`, {
      policies: { rotationPeriod: "P1D" },
    });
    expect(policies.statusCode, policies.body).toBe(200);
    const old = await createKey(t, { projectId, scopes: ["a"], meta: { m: 1 } });
    t.clock.advance(86_400_000);
    const due = await expectParity(JSON.stringify({ key: old.key, scopes: ["b"] }));
    expect(due.body).toMatchObject({ code: "INSUFFICIENT_SCOPE", rotationDue: true, missingScopes: ["b"] });

    const rotated = await t.request("POST", `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 60 });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const inGrace = await expectParity(JSON.stringify({ key: old.key }));
    expect(Object.keys(inGrace.body)).toEqual([
      "valid",
      "code",
      "keyId",
      "projectId",
      "ownerId",
      "name",
      "scopes",
      "meta",
      "expiresAt",
      "rotationDue",
      "rotation",
    ]);
    expect(inGrace.body).toMatchObject({
      valid: true,
      rotationDue: false,
      rotation: { replacedBy: rotated.json().id, expiresAt: new Date(t.clock.now() + 60_000).toISOString() },
    });
    t.clock.advance(60_000);
    const after = await expectParity(JSON.stringify({ key: old.key }));
    expect(after.body).toMatchObject({ code: "EXPIRED", rotationDue: false });
    expect(after.body).not.toHaveProperty("rotation");
    expect((await expectParity(JSON.stringify({ key: rotated.json().key }))).body).toMatchObject({
      valid: true,
      rotationDue: false,
    });
  });

  it("for rate limit, quota and IP allowlist outcomes, with their fields in the schema's order", async () => {
    const projectId = await createProject(t, { name: "limited" });
    const limited = await createKey(t, {
      projectId,
      rateLimits: [
        { name: "requests", limit: 2, windowMs: 60_000 },
        { name: "tokens", limit: 100, windowMs: 1_000 },
      ],
      quota: { remaining: 3 },
    });
    // Cost 0 charges nothing, so the second path sees the same state as the first.
    const valid = await expectParity(JSON.stringify({ key: limited.key, cost: 0 }));
    expect(valid.body).toMatchObject({
      code: "VALID",
      rateLimits: [
        { name: "requests", remaining: 2 },
        { name: "tokens", remaining: 100 },
      ],
      quota: { remaining: 3 },
    });
    expect(Object.keys(valid.body).slice(-3)).toEqual(["rotationDue", "rateLimits", "quota"]);
    const named = await expectParity(
      JSON.stringify({ key: limited.key, cost: 0, rateLimits: [{ name: "tokens", cost: 0 }] }),
    );
    expect(named.body.rateLimits).toEqual([expect.objectContaining({ name: "tokens" })]);

    for (let i = 0; i < 2; i++) await t.request("POST", "/v1/keys/verify", { key: limited.key });
    const refused = await expectParity(JSON.stringify({ key: limited.key }));
    expect(refused.body).toMatchObject({
      valid: false,
      code: "RATE_LIMITED",
      rateLimits: [expect.objectContaining({ remaining: 0 }), expect.objectContaining({ remaining: 98 })],
      quota: { remaining: 1 },
    });

    const quota = await createKey(t, { projectId, quota: { remaining: 1 } });
    await t.request("POST", "/v1/keys/verify", { key: quota.key });
    const exceeded = await expectParity(JSON.stringify({ key: quota.key }));
    expect(exceeded.body).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", quota: { remaining: 0 } });
    expect(exceeded.body).not.toHaveProperty("rateLimits");

    const fenced = await createKey(t, { projectId, ipAllowlist: ["10.0.0.0/8"] });
    expect((await expectParity(JSON.stringify({ key: fenced.key, ip: "::ffff:10.1.2.3" }))).body.code).toBe(
      "VALID",
    );
    expect((await expectParity(JSON.stringify({ key: fenced.key }))).body.code).toBe("IP_NOT_ALLOWED");
    expect((await expectParity(JSON.stringify({ key: fenced.key, ip: "192.0.2.1" }))).body.code).toBe(
      "IP_NOT_ALLOWED",
    );
    expect(
      (await expectParity(JSON.stringify({ key: limited.key, rateLimits: [{ name: "nope" }] }))).status,
    ).toBe(400);
  });

  it("for answers while the rate limiter is down: degraded, and 503", async () => {
    const down = await serveFastPath(await createTestApp({ limiter: new UnavailableRateLimiter() }));
    try {
      const rateLimited = await createKey(down.app, {
        rateLimits: [{ name: "r", limit: 1, windowMs: 1_000 }],
      });
      const degraded = await expectParityOn(down, JSON.stringify({ key: rateLimited.key }));
      expect(degraded.body).toMatchObject({ valid: true, code: "VALID", degraded: true });
      expect(Object.keys(degraded.body).at(-1)).toBe("degraded");
      const quota = await createKey(down.app, { quota: { remaining: 1 } });
      const unavailable = await expectParityOn(down, JSON.stringify({ key: quota.key }));
      expect(unavailable.status).toBe(503);
      expect(unavailable.body.code).toBe("RATE_LIMITER_UNAVAILABLE");
    } finally {
      await stop(down);
    }
  });

  it("for a throttled source: 429 with the same Retry-After", async () => {
    const guarded = await serveFastPath(await createTestApp({ env: { KEYWARD_BRUTE_FORCE_LIMIT: "1" } }));
    try {
      const ip = "203.0.113.50";
      const first = await guarded.app.request("POST", "/v1/keys/verify", { key: "kw_guess", ip });
      expect(first.json()).toEqual({ valid: false, code: "NOT_FOUND" });
      guarded.app.clock.advance(12_345);
      const throttled = await expectParityOn(guarded, JSON.stringify({ key: "kw_guess", ip }));
      expect(throttled.status).toBe(429);
      expect(throttled.body.code).toBe("TOO_MANY_FAILED_VERIFICATIONS");
      expect(throttled.retryAfter).toBe("48");
      // One path only: this failure reaches the other source's limit, so a second request would get 429.
      const other = await throughFastPath(
        guarded,
        JSON.stringify({ key: "kw_guess", ip: "203.0.113.51" }),
        `Bearer ${guarded.app.rootToken}`,
      );
      expect(other.status).toBe(200);
      expect(other.retryAfter).toBeUndefined();
    } finally {
      await stop(guarded);
    }
  });

  it("for authentication and permission failures", async () => {
    const reader = await mintToken(t, ["keys:read"]);
    const body = JSON.stringify({ key: "kw_x" });
    expect((await expectParity(body, "Bearer kwr_garbage")).status).toBe(401);
    expect((await expectParity(body, "Basic abc")).status).toBe(401);
    expect((await expectParity(body, `Bearer ${reader.token}`)).status).toBe(403);
  });

  it("for bodies that are not valid JSON or not a valid verify request", async () => {
    const cases = [
      "{",
      '{"key":',
      "   ",
      "null",
      "[]",
      "42",
      '"kw_x"',
      '{"__proto__":{"admin":true}}',
      '{"key":"kw_x","constructor":{"prototype":{}}}',
      '{"key":"kw_x","extra":1}',
      '{"key":""}',
      `{"key":"${"a".repeat(300)}"}`,
      '{"key":"kw_x","scopes":"a"}',
      '{"key":"kw_x","scopes":[1]}',
      '{"key":"kw_x","ip":"not an ip"}',
      '{"key":"kw_x","ip":"1.2.3.4.5"}',
    ];
    for (const payload of cases) {
      const answer = await expectParity(payload);
      expect(answer.status, payload).toBe(400);
    }
  });

  it("for random JSON bodies (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc
            .record(
              { key: fc.string(), scopes: fc.array(fc.string()), ip: fc.string() },
              { requiredKeys: [] },
            )
            .map((v) => JSON.stringify(v)),
        ),
        async (payload) => {
          if (payload.trim() === "") return;
          await expectParity(payload);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("the verify fast path declines what it does not fully handle, leaving it to Fastify", () => {
  it("declines other paths, methods, content types, missing lengths and tokens", async () => {
    const before = main.taken;
    const send = (init: RequestInit, path = "/v1/keys/verify") =>
      fetch(main.url.replace("/v1/keys/verify", path), init);
    const json = { "content-type": "application/json", authorization: `Bearer ${t.rootToken}` };
    expect((await send({ method: "POST", headers: json, body: "{}" }, "/v1/keys/verify/")).status).toBe(501);
    expect((await send({ method: "POST", headers: json, body: "{}" }, "/v1/keys/verify?x=1")).status).toBe(
      501,
    );
    expect((await send({ method: "GET", headers: { authorization: json.authorization } })).status).toBe(501);
    expect(
      (await send({ method: "POST", headers: { ...json, "content-type": "text/plain" }, body: "{}" })).status,
    ).toBe(501);
    expect(
      (await send({ method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status,
    ).toBe(501);
    expect((await send({ method: "POST", headers: json })).status).toBe(501);
    expect(main.taken).toBe(before);
  });
});
