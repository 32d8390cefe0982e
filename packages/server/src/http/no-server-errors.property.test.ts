import { isErrorCode } from "@keyward/core/error-catalogue.js";
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, mintToken } from "../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";

const METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"] as const;
type Method = (typeof METHODS)[number];

interface RandomRequest {
  method: Method;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const TEMPLATES = [
  "/healthz",
  "/readyz",
  "/openapi.json",
  "/metrics",
  "/v1/projects",
  "/v1/projects/{id}",
  "/v1/keys",
  "/v1/keys/verify",
  "/v1/keys/{id}",
  "/v1/keys/{id}/revoke",
  "/v1/keys/{id}/rotate",
  "/v1/keys/{id}/quota",
  "/v1/keys/{id}/reveal",
  "/v1/keys/revoke",
  "/v1/ratelimit",
  "/v1/ratelimit/overrides",
  "/v1/webhooks",
  "/v1/webhooks/{id}",
  "/v1/webhooks/{id}/deliveries",
  "/v1/webhooks/{id}/deliveries/{id}/retry",
  "/v1/tokens",
  "/v1/tokens/{id}/revoke",
  "/v1/audit",
  "/v1/audit/verify",
  "/v1/audit/checkpoints",
  "/v1/secrets",
  "/v1/secrets/{id}",
  "/v1/secrets/{id}/reveal",
];

const DEEP_ARRAY = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;

/** Hand-picked bodies that have broken JSON services before: deep nesting, huge strings, prototype keys. */
const NASTY_BODIES = [
  DEEP_ARRAY,
  DEEP_OBJECT,
  `{"meta":{"a":${DEEP_ARRAY}}}`,
  `{"meta":${DEEP_OBJECT}}`,
  `{"scopes":${DEEP_ARRAY}}`,
  `{"key":${DEEP_ARRAY}}`,
  `{"permissions":[${DEEP_ARRAY}],"name":"x"}`,
  JSON.stringify({ name: "x".repeat(60_000) }),
  JSON.stringify({ name: "x".repeat(70_000) }),
  JSON.stringify({ meta: { blob: "é".repeat(20_000) } }),
  JSON.stringify({ key: "k".repeat(60_000) }),
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"meta":{"__proto__":{"x":1}}}',
  '{"meta":{"constructor":{"prototype":1}}}',
  '{"meta":{"toString":1,"hasOwnProperty":2,"valueOf":null}}',
  "null",
  "0",
  "-0",
  "1e309",
  "-1e309",
  '"str"',
  "[]",
  "{}",
  "true",
  "\u0000",
  "\ufeff{}",
  '{"a":1',
  "{'a':1}",
  '{"a":1}{"b":2}',
  "",
  " ",
  '{"expiresAt":"275760-09-13T00:00:00Z"}',
  '{"expiresAt":"9999-12-31T23:59:59-23:59"}',
  '{"expiresAt":"0000-01-01T00:00:00+23:59"}',
  '{"expiresAt":"0000-01-01T00:00:00Z"}',
  '{"expiresAt":"2030-12-31T23:59:60Z"}',
  '{"ip":"::ffff:999.1.1.1","key":"kw_x"}',
  '{"scopes":["*","a:*","a:*:b","",null]}',
  '{"permissions":["*"],"name":"x","projectIds":[]}',
  '{"name":"x","keyPrefix":"a_________________________"}',
  '{"rateLimits":[{"name":"a","limit":1000000000000,"windowMs":2592000000}]}',
  '{"rateLimits":[{"name":"a","limit":1,"windowMs":100},{"name":"a","limit":1,"windowMs":100}]}',
  '{"quota":{"remaining":9007199254740993,"refill":{"amount":1,"interval":"day"}}}',
  '{"ipAllowlist":["::ffff:10.0.0.0/104","fe80::1%eth0","0.0.0.0/0","::/0"]}',
  '{"timezone":"Etc/GMT+14"}',
  '{"namespace":"a","identifier":"b","limit":1000000000000,"windowMs":2592000000}',
  '{"set":9007199254740993}',
  '{"set":1,"increment":1}',
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/json;charset=latin1",
  "APPLICATION/JSON",
  "application/json;",
  "application/json, text/plain",
  "application/merge-patch+json",
  "text/plain",
  "text/plain; charset=utf-8",
  "multipart/form-data; boundary=x",
  "multipart/form-data",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
  "application/xml",
  "*/*",
  "",
  ";;;",
  "application/json; boundary=\u00ff",
];

/** Strings that make a path or query value interesting: traversal, NUL, encoded slashes, bad escapes, unicode. */
const TRICKY_SEGMENTS = [
  "",
  ".",
  "..",
  "%2e%2e",
  "..%2F..%2Fetc%2Fpasswd",
  "%00",
  "a%00b",
  "a%2Fb",
  "%2F",
  "%",
  "%zz",
  "%E0%A4%A",
  "%C0%AF",
  "%F0%9F%94%91",
  "🔑",
  "ключ",
  "a b",
  "a+b",
  ";a=b",
  "\\",
  "key_0000000000000000000000",
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(201),
  "x".repeat(5_000),
  "__proto__",
  "constructor",
];

let t: TestApp;
/** Ids of real records, so random requests also reach the code behind a successful lookup. */
const real = { keyId: "", key: "", projectId: "", tokenId: "", limitedToken: "" };

/** The last error the error handler saw, so a failing run names the server-side cause and not only a 500. */
let lastServerError: unknown = null;

beforeAll(async () => {
  t = await createTestApp();
  t.app.addHook("onError", async (_request, _reply, error) => {
    lastServerError = error;
  });
  real.projectId = await createProject(t, { name: "fuzz", keyPrefix: "fz" });
  const created = await createKey(t, {
    projectId: real.projectId,
    scopes: ["a:*"],
    meta: { m: 1 },
    rateLimits: [{ name: "requests", limit: 1_000_000, windowMs: 1_000 }],
    quota: { remaining: 1_000_000_000, refill: { amount: 1_000_000_000, interval: "month" } },
  });
  real.keyId = created.id;
  real.key = created.key;
  const limited = await mintToken(t, ["keys:*"], { projectIds: [real.projectId] });
  real.tokenId = limited.id;
  real.limitedToken = limited.token;
});
afterAll(async () => {
  await t.close();
});

function segmentArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...TRICKY_SEGMENTS) },
    { weight: 2, arbitrary: fc.constantFrom(real.keyId, real.projectId, real.tokenId, real.key) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 60 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  );
}

function queryArb(): fc.Arbitrary<string> {
  const name = fc.constantFrom(
    "limit",
    "cursor",
    "projectId",
    "ownerId",
    "__proto__",
    "constructor",
    "limit[]",
    "x",
    "namespace",
    "identifier",
  );
  const value = fc.oneof(
    fc.constantFrom(
      "0",
      "1",
      "2",
      "50",
      "100",
      "101",
      "-1",
      "1.5",
      "1e3",
      "NaN",
      "",
      "%",
      "%00",
      "a".repeat(200),
    ),
    fc.constantFrom(Buffer.from(real.keyId).toString("base64url"), real.projectId),
    segmentArb(),
  );
  return fc
    .array(fc.tuple(name, value), { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`));
}

function urlArb(): fc.Arbitrary<string> {
  const known = fc
    .record({
      template: fc.constantFrom(...TEMPLATES),
      id: segmentArb(),
      suffix: fc.constantFrom("", "", "", "/", "//", "/..", "/../..", "/%2e%2e/v1/keys", "/extra"),
      query: queryArb(),
    })
    .map(({ template, id, suffix, query }) => `${template.replaceAll("{id}", id)}${suffix}${query}`);
  const random = fc.oneof(
    fc.webPath().map((path) => (path.startsWith("/") ? path : `/${path}`)),
    fc.string({ maxLength: 200 }).map((s) => `/${s}`),
    fc.array(segmentArb(), { maxLength: 6 }).map((segments) => `/${segments.join("/")}`),
  );
  // light-my-request parses the URL with WHATWG rules and throws on a few (such as "/\\"), which a real socket
  // would deliver; those cannot be injected, so they are left out rather than counted as server failures.
  return fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: random }).filter(isInjectable);
}

function isInjectable(url: string): boolean {
  try {
    new URL(url, "http://localhost");
    return true;
  } catch {
    return false;
  }
}

function authorizationArb(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        `Bearer ${t.rootToken}`,
        `bearer ${t.rootToken}`,
        `Bearer   ${t.rootToken}  `,
        `Bearer ${real.limitedToken}`,
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        undefined,
        "",
        "Bearer",
        "Bearer ",
        "Bearer garbage",
        `Bearer ${real.key}`,
        `Bearer ${t.rootToken}x`,
        `Bearer kwr_${"A".repeat(49)}`,
        `Basic ${Buffer.from("root:root").toString("base64")}`,
        `Bearer ${"A".repeat(100_000)}`,
        t.rootToken,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 600 }) },
  );
}

/** RFC 3339-shaped date-times, biased to the edges: years 0 and 9999, extreme offsets, leap seconds, bad days. */
function dateTimeArb(): fc.Arbitrary<string> {
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  const edgeOr = (edges: number[], min: number, max: number) =>
    fc.oneof(fc.constantFrom(...edges), fc.integer({ min, max }));
  const generated = fc
    .record({
      year: edgeOr([0, 1969, 1970, 9999], 0, 9999),
      month: edgeOr([1, 2, 12], 0, 13),
      day: edgeOr([1, 28, 29, 31], 0, 32),
      hour: edgeOr([0, 23], 0, 24),
      second: fc.constantFrom(0, 59, 60),
      offset: fc.oneof(
        fc.constant("Z"),
        fc
          .tuple(fc.constantFrom("+", "-"), edgeOr([0, 23], 0, 23), fc.constantFrom(0, 1, 59))
          .map(([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`),
      ),
    })
    .map(
      ({ year, month, day, hour, second, offset }) =>
        `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:59:${pad(second, 2)}${offset}`,
    );
  const edges = fc.constantFrom(
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:59:59.999Z",
    "0000-01-01T00:00:00+00:01",
    "0000-01-01T00:00:00+23:59",
    "0000-01-01T00:00:00Z",
    "2024-02-29T12:00:00Z",
    "2023-02-29T12:00:00Z",
  );
  return fc.oneof({ weight: 1, arbitrary: edges }, { weight: 4, arbitrary: generated });
}

/** Body fields the routes know, with values of any shape: reaches the validation and the services behind it. */
function nearValidBodyArb(): fc.Arbitrary<string> {
  const anyValue = fc.oneof(
    dateTimeArb(),
    fc.anything({ maxDepth: 3 }),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.array(fc.string({ maxLength: 140 }), { maxLength: 120 }),
    fc.constantFrom(
      real.projectId,
      real.key,
      null,
      "2030-01-01T00:00:00Z",
      "2000-01-01T00:00:00Z",
      ["keys:*"],
      ["*"],
      [real.projectId],
      "127.0.0.1",
      "::1",
      0,
      86_400,
      2_592_000,
      2_592_001,
      -1,
      "P90D",
      "PT0S",
      `P${"9".repeat(6)}Y`,
      { maxLifetime: "P1D", rotationPeriod: null },
      { maxLifetime: `P${"9".repeat(6)}Y${"9".repeat(6)}M`, expiryNotice: "P999999W" },
      { inactivityRevocation: "P", expiryNotice: 7 },
      ["key.*", "*", "key.created"],
      "https://hooks.example.com/x",
      "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      [{ name: "requests", limit: 10, windowMs: 1_000 }],
      [{ name: "requests", limit: 1_000_000_000_000, windowMs: 2_592_000_000 }],
      [{ name: "requests" }, { name: "requests", cost: 2 }],
      { remaining: 10, refill: { amount: 10, interval: "month" } },
      ["10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.1"],
      "Europe/Paris",
      "login:v1",
      1_000_000,
      1_000_000_000_000,
    ),
    fc.dictionary(fc.string({ maxLength: 300 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 20 }),
  );
  const fields = [
    "projectId",
    "name",
    "ownerId",
    "scopes",
    "meta",
    "expiresAt",
    "enabled",
    "key",
    "ip",
    "reason",
    "permissions",
    "projectIds",
    "keyPrefix",
    "gracePeriodSeconds",
    "policies",
    "url",
    "events",
    "description",
    "secret",
    "rateLimits",
    "quota",
    "ipAllowlist",
    "timezone",
    "cost",
    "namespace",
    "identifier",
    "limit",
    "windowMs",
    "set",
    "increment",
    "decrement",
    "value",
    "recoverableKeys",
  ] as const;
  return fc
    .record(
      Object.fromEntries(fields.map((f) => [f, anyValue])) as Record<
        (typeof fields)[number],
        typeof anyValue
      >,
      {
        requiredKeys: [],
      },
    )
    .map((body) => JSON.stringify(body));
}

function payloadArb(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.json() },
    { weight: 2, arbitrary: fc.anything().map((v) => JSON.stringify(v)) },
    { weight: 4, arbitrary: nearValidBodyArb() },
    { weight: 2, arbitrary: fc.constantFrom(...NASTY_BODIES) },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.string({ unit: "binary" }) },
  );
}

function requestArb(): fc.Arbitrary<RandomRequest> {
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      url: urlArb(),
      authorization: authorizationArb(),
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
      accept: fc.option(fc.constantFrom("application/json", "text/html", "*/*", "application/xml", ""), {
        nil: undefined,
      }),
      requestId: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      contentLength: fc.option(fc.constantFrom("0", "1", "abc", "-1", "99999999"), {
        nil: undefined,
        freq: 20,
      }),
      payload: payloadArb(),
    })
    .map(({ method, url, authorization, contentType, accept, requestId, contentLength, payload }) => ({
      method,
      url,
      headers: {
        ...(authorization === undefined ? {} : { authorization }),
        ...(contentType === undefined ? {} : { "content-type": contentType }),
        ...(accept === undefined ? {} : { accept }),
        ...(requestId === undefined ? {} : { "x-request-id": requestId }),
        ...(contentLength === undefined ? {} : { "content-length": contentLength }),
      },
      ...(payload === undefined ? {} : { payload }),
    }));
}

/** Sends one request; every failure of the property is described with the request that caused it. */
async function send(req: RandomRequest): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: req.method,
    url: req.url,
    headers: req.headers,
    ...(req.payload === undefined ? {} : { payload: req.payload }),
  });
}

/** The property: below 500, and every error is a problem document from the catalogue with its request id. */
function checkResponse(req: RandomRequest, res: LightMyRequestResponse): void {
  const cause = res.statusCode >= 500 && lastServerError instanceof Error ? `\n${lastServerError.stack}` : "";
  const label = `${req.method} ${req.url.slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 300)}${cause}`;
  expect(res.statusCode, label).toBeLessThan(500);
  expect(res.headers["x-request-id"], label).toMatch(/^req_/);
  if (res.statusCode < 400) return;
  expect(res.headers["content-type"], label).toMatch(/^application\/problem\+json/);
  if (req.method === "HEAD") return;
  const body = JSON.parse(res.body) as {
    code?: unknown;
    requestId?: unknown;
    status?: unknown;
    type?: unknown;
  };
  expect(typeof body.code === "string" && isErrorCode(body.code), label).toBe(true);
  expect(body.status, label).toBe(res.statusCode);
  expect(body.requestId, label).toBe(res.headers["x-request-id"]);
  expect(body.type, label).toBe(`https://keyward.dev/errors/${String(body.code).toLowerCase()}`);
}

describe("any request", () => {
  it("never gets a 5xx, and every error is a catalogued problem document with its request id", async () => {
    await fc.assert(
      fc.asyncProperty(requestArb(), async (req) => {
        checkResponse(req, await send(req));
      }),
      // KEYWARD_FUZZ_RUNS raises the count for a longer local hunt; the default keeps this file well under 30 s.
      {
        numRuns: Number(process.env.KEYWARD_FUZZ_RUNS ?? 800),
        // KEYWARD_FUZZ_SEED and KEYWARD_FUZZ_PATH replay a reported failure.
        ...(process.env.KEYWARD_FUZZ_SEED === undefined
          ? {}
          : { seed: Number(process.env.KEYWARD_FUZZ_SEED) }),
        ...(process.env.KEYWARD_FUZZ_PATH === undefined ? {} : { path: process.env.KEYWARD_FUZZ_PATH }),
      },
    );
  }, 60_000);
});

describe("key fields", () => {
  it("any date-time on create or update leaves the key readable, and no request gets a 5xx", async () => {
    const json = { authorization: `Bearer ${t.rootToken}`, "content-type": "application/json" };
    await fc.assert(
      fc.asyncProperty(dateTimeArb(), fc.jsonValue({ maxDepth: 20 }), async (expiresAt, meta) => {
        const requests: RandomRequest[] = [
          { method: "POST", url: "/v1/keys", headers: json, payload: JSON.stringify({ expiresAt, meta }) },
          {
            method: "PATCH",
            url: `/v1/keys/${real.keyId}`,
            headers: json,
            payload: JSON.stringify({ expiresAt }),
          },
          { method: "GET", url: `/v1/keys/${real.keyId}`, headers: json },
          { method: "GET", url: `/v1/keys?projectId=${real.projectId}&limit=100`, headers: json },
          {
            method: "POST",
            url: "/v1/keys/verify",
            headers: json,
            payload: JSON.stringify({ key: real.key }),
          },
        ];
        for (const req of requests) checkResponse(req, await send(req));
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

describe("regressions", () => {
  // The random requests above may have revoked or rotated the shared key; these cases need one that is live.
  const live = { keyId: "", key: "" };
  beforeAll(async () => {
    const created = await createKey(t, {
      projectId: real.projectId,
      rateLimits: [{ name: "requests", limit: 1_000_000, windowMs: 1_000 }],
    });
    live.keyId = created.id;
    live.key = created.key;
  });
  const auth = () => ({ authorization: `Bearer ${t.rootToken}` });
  const json = () => ({ ...auth(), "content-type": "application/json" });
  /** [what, request, the status it must get]. */
  const cases: Array<[string, () => RandomRequest, number]> = [
    // JSON.stringify on meta overflowed the stack before the depth check ran: a 500.
    [
      "meta nested 10,000 levels on create",
      () => ({ method: "POST", url: "/v1/keys", headers: json(), payload: `{"meta":{"a":${DEEP_ARRAY}}}` }),
      400,
    ],
    [
      "meta nested 10,000 levels on update",
      () => ({
        method: "PATCH",
        url: `/v1/keys/${live.keyId}`,
        headers: json(),
        payload: `{"meta":${DEEP_OBJECT}}`,
      }),
      400,
    ],
    // Bad percent-encoding and over-long parameters were answered with Fastify's own JSON, echoing the path.
    [
      "bad percent-encoding in the path",
      () => ({ method: "GET", url: "/v1/keys/%E0%A4%A", headers: auth() }),
      404,
    ],
    ["a lone % in the path, no token", () => ({ method: "GET", url: "/v1/%", headers: {} }), 404],
    [
      "a path parameter over 200 characters",
      () => ({ method: "GET", url: `/v1/keys/${"x".repeat(300)}`, headers: auth() }),
      400,
    ],
    [
      "a path parameter over 200 characters on revoke, no token",
      () => ({ method: "POST", url: `/v1/tokens/${"x".repeat(300)}/revoke`, headers: {} }),
      400,
    ],
    // text/plain bodies were parsed as strings and refused as "must be object" (400) instead of 415.
    [
      "a text/plain body",
      () => ({
        method: "POST",
        url: "/v1/keys",
        headers: { ...auth(), "content-type": "text/plain" },
        payload: "{}",
      }),
      415,
    ],
    [
      "a huge authorization header",
      () => ({ method: "GET", url: "/v1/keys", headers: { authorization: `Bearer ${"A".repeat(100_000)}` } }),
      401,
    ],
    [
      "a UTF-16 charset on a JSON body",
      () => ({
        method: "POST",
        url: "/v1/keys/verify",
        headers: { ...auth(), "content-type": "application/json; charset=utf-16" },
        payload: '{"key":"kw_x"}',
      }),
      200,
    ],
    // An offset carried expiresAt past year 9999 in UTC; stored, it broke every later read of the key (500).
    [
      "an expiresAt past year 9999 in UTC on create",
      () => ({
        method: "POST",
        url: "/v1/keys",
        headers: json(),
        payload: '{"expiresAt":"9999-12-31T23:59:59-23:59"}',
      }),
      400,
    ],
    [
      "an expiresAt before year 0 in UTC on update",
      () => ({
        method: "PATCH",
        url: `/v1/keys/${live.keyId}`,
        headers: json(),
        payload: '{"expiresAt":"0000-01-01T00:00:00+00:01"}',
      }),
      400,
    ],
    [
      "listing keys after those attempts",
      () => ({ method: "GET", url: "/v1/keys?limit=100", headers: auth() }),
      200,
    ],
    // The largest durations a policy accepts push instants past what a Date holds; keys must stay creatable.
    [
      "the largest maxLifetime a project accepts",
      () => ({
        method: "PATCH",
        url: `/v1/projects/${real.projectId}`,
        headers: json(),
        payload: JSON.stringify({ policies: { maxLifetime: "P999999Y", rotationPeriod: "P999999Y" } }),
      }),
      200,
    ],
    [
      "a key created under that maxLifetime",
      () => ({
        method: "POST",
        url: "/v1/keys",
        headers: json(),
        payload: JSON.stringify({ projectId: real.projectId }),
      }),
      201,
    ],
    [
      "rotating a key under that maxLifetime",
      () => ({ method: "POST", url: `/v1/keys/${live.keyId}/rotate`, headers: json(), payload: "{}" }),
      201,
    ],
    [
      "listing the project's keys under those policies",
      () => ({ method: "GET", url: `/v1/keys?projectId=${real.projectId}&limit=100`, headers: auth() }),
      200,
    ],
    [
      "verifying a key under those policies",
      () => ({
        method: "POST",
        url: "/v1/keys/verify",
        headers: json(),
        payload: JSON.stringify({ key: live.key }),
      }),
      200,
    ],
    // limit × windowMs past 2^50 made the sliding window throw a RangeError: a 500 on verify or on a check.
    [
      "a key rate limit whose limit × window is over 2^50",
      () => ({
        method: "POST",
        url: "/v1/keys",
        headers: json(),
        payload: '{"rateLimits":[{"name":"a","limit":1000000000000,"windowMs":2592000000}]}',
      }),
      400,
    ],
    [
      "a standalone limit whose limit × window is over 2^50",
      () => ({
        method: "POST",
        url: "/v1/ratelimit",
        headers: json(),
        payload: '{"namespace":"a","identifier":"b","limit":1000000000000,"windowMs":2592000000}',
      }),
      400,
    ],
    // Naming a limit twice would charge one count twice in one atomic step, which the limiter refuses.
    [
      "a verification naming one rate limit twice",
      () => ({
        method: "POST",
        url: "/v1/keys/verify",
        headers: json(),
        payload: JSON.stringify({ key: live.key, rateLimits: [{ name: "requests" }, { name: "requests" }] }),
      }),
      400,
    ],
    [
      "an override list cursor for a long identifier",
      () => ({
        method: "GET",
        url: `/v1/ratelimit/overrides?namespace=a&cursor=${Buffer.from("é".repeat(256)).toString("base64url")}`,
        headers: auth(),
      }),
      200,
    ],
    [
      "a __proto__ key inside meta",
      () => ({ method: "POST", url: "/v1/keys", headers: json(), payload: '{"meta":{"__proto__":{"x":1}}}' }),
      400,
    ],
  ];

  it.each(cases)("%s answers below 500 with a problem document", async (_name, build, status) => {
    const req = build();
    const res = await send(req);
    checkResponse(req, res);
    expect(res.statusCode).toBe(status);
  });
});
