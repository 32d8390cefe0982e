import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, mintToken } from "../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { createRequestIdGenerator } from "./request-id.js";
import { createVerifyFastPath } from "./verify-fast-path.js";

let t: TestApp;
let server: Server;
let url: string;
let taken = 0;

beforeAll(async () => {
  t = await createTestApp();
  // The fast path alone on a socket, over the same services as the Fastify app: every request it declines is a
  // test failure (501), so each case below really runs through it.
  const fastPath = createVerifyFastPath({
    keys: t.instance.keys,
    tokens: t.instance.tokens,
    logger: pino({ level: "silent" }),
    bodyLimitBytes: 64 * 1024,
    nextRequestId: createRequestIdGenerator(),
    isClosing: () => false,
  });
  server = createServer((req, res) => {
    if (fastPath(req, res)) {
      taken += 1;
      return;
    }
    res.writeHead(501).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/keys/verify`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Answer {
  status: number;
  type: string | undefined;
  authenticate: string | undefined;
  body: Record<string, unknown>;
}

function normalize(status: number, headers: (name: string) => string | undefined, text: string): Answer {
  const body = JSON.parse(text) as Record<string, unknown>;
  if (status >= 400) {
    expect(headers("x-request-id")).toBe(body.requestId);
    body.requestId = "<id>";
  }
  return { status, type: headers("content-type"), authenticate: headers("www-authenticate"), body };
}

async function throughFastify(payload: string, token: string): Promise<Answer> {
  const res = await t.app.inject({
    method: "POST",
    url: "/v1/keys/verify",
    headers: { authorization: token, "content-type": "application/json" },
    payload,
  });
  const header = (name: string) => res.headers[name] as string | undefined;
  return normalize(res.statusCode, header, res.body);
}

async function throughFastPath(payload: string, token: string): Promise<Answer> {
  const before = taken;
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: token, "content-type": "application/json" },
    body: payload,
  });
  expect(taken, "the fast path must take this request").toBe(before + 1);
  return normalize(res.status, (name) => res.headers.get(name) ?? undefined, await res.text());
}

async function expectParity(payload: string, token = `Bearer ${t.rootToken}`): Promise<Answer> {
  const fast = await throughFastPath(payload, token);
  expect(fast).toEqual(await throughFastify(payload, token));
  return fast;
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
    const before = taken;
    const send = (init: RequestInit, path = "/v1/keys/verify") =>
      fetch(url.replace("/v1/keys/verify", path), init);
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
    expect(taken).toBe(before);
  });
});
