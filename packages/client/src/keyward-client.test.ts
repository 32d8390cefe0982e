import { KeywardError } from "@keyward/core/keyward-error.js";
import { describe, expect, it } from "vitest";
import { KeywardApiError } from "./keyward-api-error.js";
import { KeywardClient } from "./keyward-client.js";

const TOKEN = "kwr_testTokenValue1234567890";

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each call and answers with the given responses in turn. */
function fakeFetch(...responses: Array<Response | Error>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    calls.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(headers.entries()),
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    });
    const next = responses.shift();
    if (next === undefined) throw new Error("no more fake responses");
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

function json(status: number, body: unknown, type = "application/json"): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
}

function client(fetch: typeof globalThis.fetch, baseUrl = "http://keyward.test"): KeywardClient {
  return new KeywardClient({ baseUrl, token: TOKEN, fetch });
}

const keyRecord = {
  id: "key_1",
  projectId: "proj_1",
  name: "acme",
  ownerId: null,
  start: "kw_3Fh9",
  scopes: ["orders:read"],
  meta: {},
  createdAt: "2026-11-28T09:00:00.000Z",
  updatedAt: "2026-11-28T09:00:00.000Z",
  expiresAt: null,
  enabled: true,
  revokedAt: null,
  revokedReason: null,
  lastUsedAt: null,
  replacedBy: null,
  replaces: null,
  rotationDue: false,
  rateLimits: [],
  quota: null,
  ipAllowlist: null,
  canary: false,
};

const webhookRecord = {
  id: "wh_1",
  projectId: "proj_1",
  url: "https://hooks.example.com/keyward",
  description: null,
  events: ["key.rotated"],
  enabled: true,
  createdAt: "2026-11-28T09:00:00.000Z",
  updatedAt: "2026-11-28T09:00:00.000Z",
};

const deliveryRecord = {
  id: "evt_1",
  webhookId: "wh_1",
  eventType: "key.rotated",
  status: "failed",
  attempts: 1,
  nextAttemptAt: null,
  deliveredAt: null,
  createdAt: "2026-11-28T09:00:00.000Z",
  attemptLog: [
    {
      attempt: 1,
      attemptedAt: "2026-11-28T09:00:01.000Z",
      durationMs: 12,
      statusCode: 500,
      error: null,
      responseBody: "oops",
    },
  ],
};

function routes(calls: Call[]): string[] {
  return calls.map((call) => `${call.method} ${call.url.replace("http://keyward.test", "")}`);
}

describe("KeywardClient requests", () => {
  it("createKey() posts JSON with the bearer token and returns the created key", async () => {
    const fake = fakeFetch(json(201, { key: "kw_secret", ...keyRecord }));
    const created = await client(fake.fetch).createKey({
      projectId: "proj_1",
      scopes: ["orders:read"],
      expiresAt: new Date("2030-01-01T00:00:00Z"),
    });
    expect(created.key).toBe("kw_secret");
    expect(fake.calls).toEqual([
      {
        url: "http://keyward.test/v1/keys",
        method: "POST",
        headers: expect.objectContaining({
          authorization: `Bearer ${TOKEN}`,
          "content-type": "application/json",
        }),
        body: { projectId: "proj_1", scopes: ["orders:read"], expiresAt: "2030-01-01T00:00:00.000Z" },
      },
    ]);
  });

  it("verifyKey() sends the key in the body, never in the URL, and returns valid:false as data", async () => {
    const fake = fakeFetch(json(200, { valid: false, code: "REVOKED", keyId: "key_1" }));
    const result = await client(fake.fetch).verifyKey({ key: "kw_secretKey", scopes: ["a"] });
    expect(result).toEqual({ valid: false, code: "REVOKED", keyId: "key_1" });
    expect(fake.calls[0]?.url).toBe("http://keyward.test/v1/keys/verify");
    expect(fake.calls[0]?.url).not.toContain("kw_secretKey");
    expect(fake.calls[0]?.body).toEqual({ key: "kw_secretKey", scopes: ["a"] });
  });

  it("encodes ids in paths so an id cannot change the route", async () => {
    const fake = fakeFetch(json(200, keyRecord), json(200, keyRecord), json(200, {}), json(200, {}));
    const c = client(fake.fetch);
    await c.getKey("../tokens?x=1");
    await c.updateKey("a/b", { enabled: false });
    await c.revokeToken("tok 1");
    await c.getProject("proj#1");
    expect(fake.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      "GET http://keyward.test/v1/keys/..%2Ftokens%3Fx%3D1",
      "PATCH http://keyward.test/v1/keys/a%2Fb",
      "POST http://keyward.test/v1/tokens/tok%201/revoke",
      "GET http://keyward.test/v1/projects/proj%231",
    ]);
  });

  it("refuses an empty id before sending anything", async () => {
    const fake = fakeFetch();
    await expect(client(fake.fetch).getKey("")).rejects.toBeInstanceOf(KeywardError);
    expect(fake.calls).toHaveLength(0);
  });

  it("listKeys() puts only the given filters in the query string", async () => {
    const fake = fakeFetch(
      json(200, { items: [keyRecord], nextCursor: "c2" }),
      json(200, { items: [], nextCursor: null }),
    );
    const c = client(fake.fetch, "http://keyward.test/base/");
    const page = await c.listKeys({ projectId: "proj_1", limit: 10 });
    await c.listKeys();
    expect(page.nextCursor).toBe("c2");
    expect(fake.calls.map((call) => call.url)).toEqual([
      "http://keyward.test/base/v1/keys?projectId=proj_1&limit=10",
      "http://keyward.test/base/v1/keys",
    ]);
  });

  it("revokeKey() sends the reason, or an empty object without one", async () => {
    const fake = fakeFetch(json(200, keyRecord), json(200, keyRecord));
    const c = client(fake.fetch);
    await c.revokeKey("key_1", { reason: "leaked" });
    await c.revokeKey("key_1");
    expect(fake.calls.map((call) => call.body)).toEqual([{ reason: "leaked" }, {}]);
  });

  it("every other method calls its route", async () => {
    const fake = fakeFetch(
      ...Array.from({ length: 6 }, () => json(200, { items: [], nextCursor: null })),
      json(200, { status: "ok" }),
    );
    const c = client(fake.fetch);
    await c.createProject({ name: "billing", keyPrefix: "bill" });
    await c.listProjects({ cursor: "abc" });
    await c.createToken({ name: "ci", permissions: ["keys:read"] });
    await c.listTokens({ limit: 5 });
    await c.updateKey("key_1", { expiresAt: null });
    await c.getKey("key_1");
    expect(await c.health()).toEqual({ status: "ok" });
    expect(fake.calls.map((call) => `${call.method} ${call.url.replace("http://keyward.test", "")}`)).toEqual(
      [
        "POST /v1/projects",
        "GET /v1/projects?cursor=abc",
        "POST /v1/tokens",
        "GET /v1/tokens?limit=5",
        "PATCH /v1/keys/key_1",
        "GET /v1/keys/key_1",
        "GET /healthz",
      ],
    );
    expect(fake.calls[4]?.body).toEqual({ expiresAt: null });
  });
});

describe("KeywardClient rotation, bulk revocation and policies", () => {
  it("rotateKey() posts the grace period and returns the new key with the previous one", async () => {
    const previous = { ...keyRecord, replacedBy: "key_2", expiresAt: "2026-11-28T11:00:00.000Z" };
    const answer = { key: "kw_newSecret", ...keyRecord, id: "key_2", replaces: "key_1", previous };
    const fake = fakeFetch(json(201, answer), json(201, answer));
    const c = client(fake.fetch);
    const rotated = await c.rotateKey("key_1", { gracePeriodSeconds: 7200 });
    await c.rotateKey("key_1");
    expect(rotated.key).toBe("kw_newSecret");
    expect(rotated.replaces).toBe("key_1");
    expect(rotated.previous.replacedBy).toBe("key_2");
    expect(routes(fake.calls)).toEqual(["POST /v1/keys/key_1/rotate", "POST /v1/keys/key_1/rotate"]);
    expect(fake.calls.map((call) => call.body)).toEqual([{ gracePeriodSeconds: 7200 }, {}]);
  });

  it("revokeKeys() posts the filters to /v1/keys/revoke and returns the count", async () => {
    const fake = fakeFetch(json(200, { revoked: 3 }));
    const result = await client(fake.fetch).revokeKeys({
      ownerId: "cus_1",
      projectId: "proj_1",
      reason: "churn",
    });
    expect(result).toEqual({ revoked: 3 });
    expect(routes(fake.calls)).toEqual(["POST /v1/keys/revoke"]);
    expect(fake.calls[0]?.body).toEqual({ ownerId: "cus_1", projectId: "proj_1", reason: "churn" });
  });

  it("deleteKey() sends DELETE /v1/keys/{id} and deleteProject() returns how many keys were revoked", async () => {
    const fake = fakeFetch(new Response(null, { status: 204 }), json(200, { revoked: 2 }));
    const c = client(fake.fetch);
    await expect(c.deleteKey("key/1")).resolves.toBeUndefined();
    expect(await c.deleteProject("proj_1")).toEqual({ revoked: 2 });
    expect(routes(fake.calls)).toEqual(["DELETE /v1/keys/key%2F1", "DELETE /v1/projects/proj_1"]);
  });

  it("updateProject() patches the name and policies, sending null to remove a policy", async () => {
    const project = {
      id: "proj_1",
      name: "b",
      keyPrefix: "kw",
      policies: { maxLifetime: "P90D" },
      createdAt: "x",
    };
    const fake = fakeFetch(json(200, project));
    const updated = await client(fake.fetch).updateProject("proj_1", {
      name: "b",
      policies: { maxLifetime: "P90D", rotationPeriod: null },
    });
    expect(updated.policies).toEqual({ maxLifetime: "P90D" });
    expect(routes(fake.calls)).toEqual(["PATCH /v1/projects/proj_1"]);
    expect(fake.calls[0]?.body).toEqual({
      name: "b",
      policies: { maxLifetime: "P90D", rotationPeriod: null },
    });
  });

  it("verifyKey() passes rotationDue and rotation through", async () => {
    const answer = {
      valid: true,
      code: "VALID",
      keyId: "key_1",
      rotationDue: true,
      rotation: { replacedBy: "key_2", expiresAt: "2026-11-29T09:00:00.000Z" },
    };
    const fake = fakeFetch(json(200, answer));
    const result = await client(fake.fetch).verifyKey({ key: "kw_secretKey" });
    expect(result.rotationDue).toBe(true);
    expect(result.rotation).toEqual(answer.rotation);
  });
});

describe("KeywardClient rate limits, quotas and IP allowlists", () => {
  const limited = {
    ...keyRecord,
    rateLimits: [{ name: "burst", limit: 100, windowMs: 1_000 }],
    quota: { remaining: 4_999, refill: { amount: 5_000, interval: "month" }, refilledAt: null },
    ipAllowlist: ["10.0.0.0/8"],
  };

  it("createKey() and updateKey() send rate limits, quota and IP allowlist as given, null included", async () => {
    const fake = fakeFetch(json(201, { key: "kw_secret", ...limited }), json(200, limited));
    const c = client(fake.fetch);
    const created = await c.createKey({
      rateLimits: limited.rateLimits,
      quota: { remaining: 5_000, refill: { amount: 5_000, interval: "month" } },
      ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"],
    });
    expect(created.quota?.refill).toEqual({ amount: 5_000, interval: "month" });
    await c.updateKey("key_1", { quota: null, ipAllowlist: null, rateLimits: [] });
    expect(routes(fake.calls)).toEqual(["POST /v1/keys", "PATCH /v1/keys/key_1"]);
    expect(fake.calls.map((call) => call.body)).toEqual([
      {
        rateLimits: [{ name: "burst", limit: 100, windowMs: 1_000 }],
        quota: { remaining: 5_000, refill: { amount: 5_000, interval: "month" } },
        ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"],
      },
      { quota: null, ipAllowlist: null, rateLimits: [] },
    ]);
  });

  it.each([[{ set: 10 }], [{ increment: 5 }], [{ decrement: 3 }]])(
    "adjustQuota() posts %j to /v1/keys/{id}/quota and returns the key",
    async (adjustment) => {
      const fake = fakeFetch(json(200, limited));
      const key = await client(fake.fetch).adjustQuota("key/1", adjustment);
      expect(key.quota?.remaining).toBe(4_999);
      expect(routes(fake.calls)).toEqual(["POST /v1/keys/key%2F1/quota"]);
      expect(fake.calls[0]?.body).toEqual(adjustment);
    },
  );

  it("verifyKey() sends cost and named limits, and returns rate limits, quota and degraded as data", async () => {
    const answer = {
      valid: false,
      code: "RATE_LIMITED",
      keyId: "key_1",
      rateLimits: [{ name: "burst", limit: 100, remaining: 0, resetAt: "2026-11-28T09:00:01.000Z" }],
      quota: { remaining: 10 },
      degraded: true,
    };
    const fake = fakeFetch(json(200, answer));
    const result = await client(fake.fetch).verifyKey({
      key: "kw_secretKey",
      ip: "10.1.2.3",
      cost: 5,
      rateLimits: [{ name: "burst" }, { name: "daily", cost: 2 }],
    });
    expect(result).toEqual(answer);
    expect(fake.calls[0]?.body).toEqual({
      key: "kw_secretKey",
      ip: "10.1.2.3",
      cost: 5,
      rateLimits: [{ name: "burst" }, { name: "daily", cost: 2 }],
    });
  });

  it("updateProject() sends the IP allowlist (null removes it) and the time zone", async () => {
    const project = {
      id: "proj_1",
      name: "b",
      keyPrefix: "kw",
      policies: {},
      ipAllowlist: ["192.0.2.0/24"],
      timezone: "Europe/Paris",
      createdAt: "x",
    };
    const fake = fakeFetch(json(200, project), json(200, { ...project, ipAllowlist: null }));
    const c = client(fake.fetch);
    expect(
      (await c.updateProject("proj_1", { ipAllowlist: ["192.0.2.0/24"], timezone: "Europe/Paris" })).timezone,
    ).toBe("Europe/Paris");
    expect((await c.updateProject("proj_1", { ipAllowlist: null })).ipAllowlist).toBeNull();
    expect(fake.calls.map((call) => call.body)).toEqual([
      { ipAllowlist: ["192.0.2.0/24"], timezone: "Europe/Paris" },
      { ipAllowlist: null },
    ]);
  });

  it("ratelimit() posts the request, identifier in the body only, and returns success:false as data", async () => {
    const answer = {
      success: false,
      limit: 10,
      remaining: 0,
      resetAt: "2026-11-28T09:01:00.000Z",
      overridden: true,
    };
    const fake = fakeFetch(json(200, answer));
    const input = {
      namespace: "login",
      identifier: "alice@example.com/..",
      limit: 10,
      windowMs: 60_000,
      cost: 1,
    };
    expect(await client(fake.fetch).ratelimit(input)).toEqual(answer);
    expect(routes(fake.calls)).toEqual(["POST /v1/ratelimit"]);
    expect(fake.calls[0]?.body).toEqual(input);
  });

  it("override methods: PUT with a body, GET and DELETE with the namespace and identifier in the query", async () => {
    const override = {
      namespace: "login",
      identifier: "a&b=c d/é",
      limit: 1_000,
      windowMs: 60_000,
      createdAt: "2026-11-28T09:00:00.000Z",
    };
    const fake = fakeFetch(
      json(200, override),
      json(200, { items: [override], nextCursor: "c2" }),
      json(200, { items: [], nextCursor: null }),
      new Response(null, { status: 204 }),
    );
    const c = client(fake.fetch);
    const { createdAt: _createdAt, ...input } = override;
    expect(await c.setRateLimitOverride(input)).toEqual(override);
    expect((await c.listRateLimitOverrides("login", { limit: 10, cursor: "c1" })).nextCursor).toBe("c2");
    await c.listRateLimitOverrides("login");
    await expect(c.deleteRateLimitOverride("login", override.identifier)).resolves.toBeUndefined();
    expect(routes(fake.calls)).toEqual([
      "PUT /v1/ratelimit/overrides",
      "GET /v1/ratelimit/overrides?namespace=login&limit=10&cursor=c1",
      "GET /v1/ratelimit/overrides?namespace=login",
      "DELETE /v1/ratelimit/overrides?namespace=login&identifier=a%26b%3Dc+d%2F%C3%A9",
    ]);
    expect(fake.calls[0]?.body).toEqual(input);
    expect(fake.calls[3]?.body).toBeUndefined();
    expect(new URL(fake.calls[3]?.url ?? "").searchParams.get("identifier")).toBe(override.identifier);
  });

  it("refuses an empty namespace or identifier before sending anything", async () => {
    const fake = fakeFetch();
    const c = client(fake.fetch);
    await expect(c.listRateLimitOverrides("")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    await expect(c.deleteRateLimitOverride("login", "")).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ pointer: "/identifier" }],
    });
    expect(fake.calls).toHaveLength(0);
  });
});

describe("KeywardClient webhooks", () => {
  it("createWebhook() posts the input and returns the secret once with the record", async () => {
    const fake = fakeFetch(json(201, { secret: "whsec_abc", ...webhookRecord }));
    const input = {
      url: webhookRecord.url,
      events: ["key.rotated", "key.revoked"],
      projectId: "proj_1",
      description: "pager",
      enabled: false,
    };
    const created = await client(fake.fetch).createWebhook(input);
    expect(created.secret).toBe("whsec_abc");
    expect(routes(fake.calls)).toEqual(["POST /v1/webhooks"]);
    expect(fake.calls[0]?.body).toEqual(input);
  });

  it("every webhook method calls its route with its query and body", async () => {
    const page = { items: [], nextCursor: null };
    const fake = fakeFetch(
      json(200, page),
      json(200, page),
      json(200, webhookRecord),
      json(200, webhookRecord),
      json(200, page),
      json(200, page),
      json(200, { ...deliveryRecord, status: "pending" }),
    );
    const c = client(fake.fetch);
    await c.listWebhooks();
    await c.listWebhooks({ projectId: "proj_1", limit: 5, cursor: "c1" });
    expect(await c.getWebhook("wh_1")).toEqual(webhookRecord);
    await c.updateWebhook("wh_1", { enabled: false, description: null, events: ["*"] });
    await c.listDeliveries("wh_1");
    await c.listDeliveries("wh_1", { status: "failed", limit: 10 });
    const retried = await c.retryDelivery("wh_1", "evt_1");
    expect(retried.status).toBe("pending");
    expect(routes(fake.calls)).toEqual([
      "GET /v1/webhooks",
      "GET /v1/webhooks?projectId=proj_1&limit=5&cursor=c1",
      "GET /v1/webhooks/wh_1",
      "PATCH /v1/webhooks/wh_1",
      "GET /v1/webhooks/wh_1/deliveries",
      "GET /v1/webhooks/wh_1/deliveries?status=failed&limit=10",
      "POST /v1/webhooks/wh_1/deliveries/evt_1/retry",
    ]);
    expect(fake.calls[3]?.body).toEqual({ enabled: false, description: null, events: ["*"] });
  });

  it("deleteWebhook() sends DELETE without a body and resolves on 204 No Content", async () => {
    const fake = fakeFetch(new Response(null, { status: 204 }));
    await expect(client(fake.fetch).deleteWebhook("wh_1")).resolves.toBeUndefined();
    expect(routes(fake.calls)).toEqual(["DELETE /v1/webhooks/wh_1"]);
    expect(fake.calls[0]?.body).toBeUndefined();
    expect(fake.calls[0]?.headers["content-type"]).toBeUndefined();
  });

  it("encodes both ids of a delivery retry and refuses an empty event id before sending", async () => {
    const fake = fakeFetch(json(200, deliveryRecord));
    const c = client(fake.fetch);
    await c.retryDelivery("wh/1", "evt?1");
    expect(routes(fake.calls)).toEqual(["POST /v1/webhooks/wh%2F1/deliveries/evt%3F1/retry"]);
    await expect(c.retryDelivery("wh_1", "")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    expect(fake.calls).toHaveLength(1);
  });
});

describe("KeywardClient alerts", () => {
  it("listAlerts() sends the filters as query parameters and acknowledgeAlert() posts an empty body", async () => {
    const alert = {
      id: "alr_1",
      projectId: "proj_1",
      keyId: "key_1",
      type: "canary",
      firstSeenAt: "2026-11-28T09:00:00.000Z",
      lastSeenAt: "2026-11-28T09:00:00.000Z",
      occurrences: 1,
      details: {},
      acknowledgedAt: null,
      acknowledgedBy: null,
    };
    const page = { items: [alert], nextCursor: null };
    const fake = fakeFetch(
      json(200, page),
      json(200, page),
      json(200, { ...alert, acknowledgedBy: "tok_1" }),
    );
    const c = client(fake.fetch);
    expect((await c.listAlerts()).items).toEqual([alert]);
    await c.listAlerts({
      projectId: "proj_1",
      acknowledged: false,
      type: "dead_key_used",
      limit: 5,
      cursor: "c1",
    });
    expect((await c.acknowledgeAlert("alr/1")).acknowledgedBy).toBe("tok_1");
    expect(routes(fake.calls)).toEqual([
      "GET /v1/alerts",
      "GET /v1/alerts?projectId=proj_1&acknowledged=false&type=dead_key_used&limit=5&cursor=c1",
      "POST /v1/alerts/alr%2F1/ack",
    ]);
    expect(fake.calls[2]?.body).toEqual({});
  });
});

describe("KeywardClient usage", () => {
  it("getKeyUsage() and getUsage() send the range, grouping and limit as query parameters", async () => {
    const keyUsage = { keyId: "key_1", granularity: "hour", from: "a", to: "b", buckets: [] };
    const usage = { ...keyUsage, projectId: null, groupBy: "key", total: 0, codes: {}, groups: [] };
    const fake = fakeFetch(json(200, keyUsage), json(200, keyUsage), json(200, usage), json(200, usage));
    const c = client(fake.fetch);
    expect(await c.getKeyUsage("key_1")).toEqual(keyUsage);
    await c.getKeyUsage("key_1", {
      from: new Date("2026-11-28T09:00:00.000Z"),
      to: "2026-11-28T12:00:00Z",
      granularity: "minute",
    });
    expect(await c.getUsage()).toEqual(usage);
    await c.getUsage({
      projectId: "proj_1",
      from: "2026-11-01T00:00:00Z",
      granularity: "day",
      groupBy: "code",
      limit: 5,
    });
    expect(fake.calls.map((call) => `${call.method} ${call.url.replace("http://keyward.test", "")}`)).toEqual(
      [
        "GET /v1/keys/key_1/usage",
        "GET /v1/keys/key_1/usage?from=2026-11-28T09%3A00%3A00.000Z&to=2026-11-28T12%3A00%3A00Z&granularity=minute",
        "GET /v1/usage",
        "GET /v1/usage?projectId=proj_1&from=2026-11-01T00%3A00%3A00Z&granularity=day&groupBy=code&limit=5",
      ],
    );
    expect(fake.calls.every((call) => call.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("getKeyUsage() encodes the id into one path segment and refuses an empty one without a request", async () => {
    const fake = fakeFetch(json(200, {}));
    const c = client(fake.fetch);
    await expect(c.getKeyUsage("")).rejects.toThrow(/id/);
    expect(fake.calls).toEqual([]);
    await c.getKeyUsage("../tokens");
    expect(fake.calls[0]?.url).toBe("http://keyward.test/v1/keys/..%2Ftokens/usage");
  });
});

describe("KeywardClient errors", () => {
  it("throws KeywardApiError with the problem document's fields on a non-2xx answer", async () => {
    const problem = {
      type: "https://keyward.dev/errors/validation_error",
      title: "The request is not valid.",
      status: 400,
      detail: "scopes/0 must NOT have fewer than 1 characters.",
      code: "VALIDATION_ERROR",
      requestId: "req_1",
      errors: [{ pointer: "/scopes/0", detail: "must NOT have fewer than 1 characters" }],
    };
    const fake = fakeFetch(json(400, problem, "application/problem+json"));
    const error = await client(fake.fetch)
      .createKey({ scopes: [""] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardApiError);
    expect(error).toMatchObject({
      status: 400,
      code: "VALIDATION_ERROR",
      detail: problem.detail,
      message: problem.detail,
      requestId: "req_1",
      errors: problem.errors,
      retryable: false,
    });
  });

  it.each([
    ["rotateKey() of a rotated key", 409, "KEY_ALREADY_ROTATED", (c: KeywardClient) => c.rotateKey("key_1")],
    [
      "createKey() past the project's maxLifetime",
      422,
      "POLICY_VIOLATION",
      (c: KeywardClient) => c.createKey({ expiresAt: "2099-01-01T00:00:00Z" }),
    ],
    [
      "deleteWebhook() of an unknown webhook",
      404,
      "NOT_FOUND",
      (c: KeywardClient) => c.deleteWebhook("wh_x"),
    ],
    [
      "updateProject() with a bad duration",
      400,
      "VALIDATION_ERROR",
      (c: KeywardClient) => c.updateProject("proj_1", { policies: { maxLifetime: "90 days" } }),
    ],
  ])("%s throws KeywardApiError %i %s", async (_name, status, code, call) => {
    const problem = {
      type: `https://keyward.dev/errors/${code.toLowerCase()}`,
      title: "Refused.",
      status,
      detail: "Refused for a reason.",
      code,
      requestId: "req_2",
      errors: [{ pointer: "/expiresAt", detail: "must be within the project's maxLifetime" }],
    };
    const fake = fakeFetch(json(status, problem, "application/problem+json"));
    const error = await call(client(fake.fetch)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardApiError);
    expect(error).toMatchObject({ status, code, detail: problem.detail, errors: problem.errors });
  });

  it("exposes a 429's Retry-After as retryAfterSeconds and calls the error retryable", async () => {
    const problem = {
      type: "https://keyward.dev/errors/too_many_failed_verifications",
      title: "Too many failed verifications.",
      status: 429,
      detail: "Too many failed verifications from this source; try again later.",
      code: "TOO_MANY_FAILED_VERIFICATIONS",
      requestId: "req_3",
    };
    const fake = fakeFetch(
      new Response(JSON.stringify(problem), {
        status: 429,
        headers: { "content-type": "application/problem+json", "retry-after": "42" },
      }),
    );
    const error = await client(fake.fetch)
      .verifyKey({ key: "kw_secretKey" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardApiError);
    expect(error).toMatchObject({
      status: 429,
      code: "TOO_MANY_FAILED_VERIFICATIONS",
      retryAfterSeconds: 42,
      retryable: true,
    });
  });

  it.each([
    ["an HTTP date 90.5 s ahead", new Date(Date.now() + 90_500).toUTCString(), [90, 91]],
    ["an HTTP date in the past", "Sun, 06 Nov 1994 08:49:37 GMT", [0, 0]],
    ["no header", undefined, null],
    ["a value that is neither", "soon", null],
    ["a negative number", "-5", null],
  ])("reads a Retry-After of %s", async (_name, header, expected) => {
    const headers: Record<string, string> = { "content-type": "application/problem+json" };
    if (header !== undefined) headers["retry-after"] = header;
    const body = JSON.stringify({ code: "RATE_LIMITER_UNAVAILABLE", detail: "Down.", status: 503 });
    const fake = fakeFetch(new Response(body, { status: 503, headers }));
    const error = (await client(fake.fetch)
      .ratelimit({ namespace: "n", identifier: "i", limit: 1, windowMs: 1_000 })
      .catch((e: unknown) => e)) as KeywardApiError;
    expect(error.code).toBe("RATE_LIMITER_UNAVAILABLE");
    if (expected === null) expect(error.retryAfterSeconds).toBeNull();
    else {
      // toUTCString() drops the milliseconds, so the date may read one second shorter than it was made.
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(expected[0] ?? 0);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(expected[1] ?? 0);
    }
  });

  it("names a non-problem error answer INVALID_RESPONSE with its status", async () => {
    const fake = fakeFetch(
      new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    );
    const error = (await client(fake.fetch)
      .listKeys()
      .catch((e: unknown) => e)) as KeywardApiError;
    expect(error).toMatchObject({ status: 502, code: "INVALID_RESPONSE", requestId: null });
    expect(error.detail).toBe(
      "GET http://keyward.test/v1/keys answered 502 Bad Gateway without a problem document.",
    );
  });

  it("names a 2xx answer without JSON INVALID_RESPONSE", async () => {
    const fake = fakeFetch(new Response("ok", { status: 200 }));
    await expect(client(fake.fetch).health()).rejects.toMatchObject({
      code: "INVALID_RESPONSE",
      status: 200,
    });
  });

  it("turns a network failure into NETWORK_ERROR naming the URL but not the token", async () => {
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:1 (${TOKEN})`), {
        code: "ECONNREFUSED",
      }),
    });
    const fake = fakeFetch(refused);
    const error = (await client(fake.fetch, "http://127.0.0.1:1")
      .verifyKey({ key: "kw_secretKey" })
      .catch((e: unknown) => e)) as KeywardApiError;
    expect(error).toBeInstanceOf(KeywardApiError);
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.status).toBe(0);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("POST http://127.0.0.1:1/v1/keys/verify");
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain("kw_secretKey");
  });

  it("reports a real refused connection as NETWORK_ERROR", async () => {
    const c = new KeywardClient({ baseUrl: "http://127.0.0.1:1", token: TOKEN, timeoutMs: 5_000 });
    await expect(c.health()).rejects.toMatchObject({ code: "NETWORK_ERROR", status: 0 });
  });

  it("turns a timeout into TIMEOUT", async () => {
    const slow = (async (_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      })) as typeof fetch;
    const c = new KeywardClient({ baseUrl: "http://keyward.test", token: TOKEN, fetch: slow, timeoutMs: 20 });
    await expect(c.health()).rejects.toMatchObject({ code: "TIMEOUT", status: 0, retryable: true });
  });
});

describe("KeywardClient options", () => {
  it.each([
    ["not a url", "absolute"],
    ["ftp://keyward.test", "http or https"],
    ["http://user:secretpass@keyward.test", "credentials"],
    ["http://keyward.test/?token=x", "query"],
  ])("refuses baseUrl %s", (baseUrl, expected) => {
    const make = () => new KeywardClient({ baseUrl, token: TOKEN });
    expect(make).toThrow(KeywardError);
    expect(make).toThrow(expected);
    expect(make).not.toThrow("secretpass");
  });

  it.each([[""], ["   "], ["kwr_abc\ndef"], ["kwr abc"]])("refuses token %j without quoting it", (token) => {
    const make = () => new KeywardClient({ baseUrl: "http://keyward.test", token });
    expect(make).toThrow(KeywardError);
    expect(make).not.toThrow("kwr");
  });

  it("trims the token and keeps it out of the client's printable state", () => {
    const c = new KeywardClient({ baseUrl: "http://keyward.test", token: ` ${TOKEN}\n` });
    expect(JSON.stringify(c)).not.toContain(TOKEN);
    expect(c.baseUrl).toBe("http://keyward.test");
  });
});

describe("KeywardClient audit", () => {
  const entry = {
    id: "aud_1",
    seq: 7,
    at: "2026-11-28T09:00:00.000Z",
    actor: { type: "token", id: "tok_1", name: "ci" },
    action: "key.revoked",
    target: { type: "key", id: "key_1" },
    projectId: "proj_1",
    sourceIp: "203.0.113.7",
    userAgent: "curl/8",
    requestId: "req_1",
    outcome: "success",
    diff: { revokedReason: { from: null, to: "leaked" } },
    prevHash: "a".repeat(64),
    hash: "b".repeat(64),
  };
  const checkpoint = {
    seq: 7,
    hash: "b".repeat(64),
    at: "2026-11-28T09:00:00.000Z",
    keyId: "ed25519:0123456789abcdef",
    signature: "c2ln",
    kind: "on_demand" as const,
  };
  const exported = { publicKeys: [{ keyId: checkpoint.keyId, publicKey: "PEM" }], checkpoints: [checkpoint] };

  it("listAuditEntries() sends every filter, instants as RFC 3339, and returns the page with its total", async () => {
    const page = { items: [entry], nextCursor: "Nw", total: 1 };
    const fake = fakeFetch(json(200, page), json(200, page));
    const c = client(fake.fetch);
    expect(await c.listAuditEntries()).toEqual(page);
    await c.listAuditEntries({
      actorId: "tok_1",
      action: "key.revoked",
      targetId: "key_1",
      projectId: "proj_1",
      from: new Date("2026-11-28T09:00:00.000Z"),
      to: "2026-11-29T00:00:00Z",
      order: "oldest",
      limit: 1000,
      cursor: "Nw",
      count: true,
    });
    expect(routes(fake.calls)).toEqual([
      "GET /v1/audit",
      "GET /v1/audit?actorId=tok_1&action=key.revoked&targetId=key_1&projectId=proj_1" +
        "&from=2026-11-28T09%3A00%3A00.000Z&to=2026-11-29T00%3A00%3A00Z&order=oldest&limit=1000&cursor=Nw&count=true",
    ]);
  });

  it("verifyAuditLog() GETs the verdict, or POSTs the checkpoints kept elsewhere; a broken log is an answer", async () => {
    const broken = {
      ok: false,
      entries: 2,
      reason: "modified",
      firstBadEntry: { id: "aud_2", seq: 2, action: "x", at: entry.at },
      detail: "Entry 2 does not match its hash: it was edited.",
      head: { seq: 7, hash: "b".repeat(64) },
    };
    const fake = fakeFetch(
      json(200, broken),
      json(200, { ok: true, entries: 7, checkpoints: 2, head: broken.head }),
    );
    const c = client(fake.fetch);
    const verdict = await c.verifyAuditLog();
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.firstBadEntry?.seq).toBe(2);
    expect((await c.verifyAuditLog({ checkpoints: exported, timeoutMs: 60_000 })).ok).toBe(true);
    expect(routes(fake.calls)).toEqual(["GET /v1/audit/verify", "POST /v1/audit/verify"]);
    expect(fake.calls[1]?.body).toEqual(exported);
  });

  it("verifyAuditLog() times out after its own timeoutMs, and names it", async () => {
    const never = (_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const c = client(never as typeof fetch);
    await expect(c.verifyAuditLog({ timeoutMs: 5 })).rejects.toMatchObject({
      code: "TIMEOUT",
      detail: expect.stringContaining("within 5 ms"),
    });
  });

  it("exportAuditCheckpoints() GETs the file and createAuditCheckpoint() posts an empty body", async () => {
    const fake = fakeFetch(json(200, exported), json(201, checkpoint));
    const c = client(fake.fetch);
    expect(await c.exportAuditCheckpoints()).toEqual(exported);
    expect(await c.createAuditCheckpoint()).toEqual(checkpoint);
    expect(routes(fake.calls)).toEqual(["GET /v1/audit/checkpoints", "POST /v1/audit/checkpoints"]);
    expect(fake.calls[1]?.body).toEqual({});
  });
});

describe("KeywardClient secrets", () => {
  it("calls the vault routes, and reveals with an empty POST body", async () => {
    const secret = { id: "sec_1", projectId: "proj_1", name: "STRIPE_API_KEY" };
    const fake = fakeFetch(
      json(201, secret),
      json(200, { items: [secret], nextCursor: null }),
      json(200, secret),
      json(200, secret),
      json(200, { ...secret, value: "sk_live_x" }),
      new Response(null, { status: 204 }),
      json(200, { id: "key_1", key: "kw_abc" }),
    );
    const c = client(fake.fetch);
    await c.createSecret({ projectId: "proj_1", name: "STRIPE_API_KEY", value: "sk_live_x" });
    await c.listSecrets({ projectId: "proj_1", limit: 10 });
    await c.getSecret("sec_1");
    await c.updateSecret("sec_1", { value: "sk_live_y" });
    expect((await c.revealSecret("sec_1")).value).toBe("sk_live_x");
    await c.deleteSecret("sec_1");
    expect(await c.revealKey("key_1")).toEqual({ id: "key_1", key: "kw_abc" });
    expect(fake.calls.map((call) => `${call.method} ${call.url.replace("http://keyward.test", "")}`)).toEqual(
      [
        "POST /v1/secrets",
        "GET /v1/secrets?projectId=proj_1&limit=10",
        "GET /v1/secrets/sec_1",
        "PATCH /v1/secrets/sec_1",
        "POST /v1/secrets/sec_1/reveal",
        "DELETE /v1/secrets/sec_1",
        "POST /v1/keys/key_1/reveal",
      ],
    );
    expect(fake.calls[0]?.body).toEqual({ projectId: "proj_1", name: "STRIPE_API_KEY", value: "sk_live_x" });
    expect(fake.calls.every((call) => !call.url.includes("sk_live"))).toBe(true);
  });
});

describe("KeywardClient identities, roles and permissions", () => {
  const identity = {
    id: "id_1",
    externalId: "team/alpha",
    meta: { plan: "pro" },
    rateLimits: [{ name: "requests", limit: 100, windowMs: 60_000 }],
    createdAt: "2026-11-28T09:00:00.000Z",
    updatedAt: "2026-11-28T09:00:00.000Z",
  };
  const permission = {
    id: "perm_1",
    slug: "documents.read",
    name: "Read documents",
    description: null,
    createdAt: "2026-11-28T09:00:00.000Z",
  };
  const role = {
    id: "role_1",
    name: "editor",
    description: null,
    permissions: [permission],
    createdAt: "2026-11-28T09:00:00.000Z",
    updatedAt: "2026-11-28T09:00:00.000Z",
  };
  const noContent = () => new Response(null, { status: 204 });

  it("identity methods call their routes, encoding an externalId into one path segment", async () => {
    const fake = fakeFetch(
      json(201, identity),
      json(200, { items: [identity], nextCursor: null }),
      json(200, identity),
      json(200, identity),
      noContent(),
    );
    const c = client(fake.fetch);
    const input = { externalId: "team/alpha", meta: { plan: "pro" }, rateLimits: identity.rateLimits };
    expect(await c.createIdentity(input)).toEqual(identity);
    expect((await c.listIdentities({ search: "team", limit: 2, cursor: "c1" })).items).toEqual([identity]);
    await c.getIdentity("team/alpha");
    await c.updateIdentity("id_1", { rateLimits: [] });
    await expect(c.deleteIdentity("id_1")).resolves.toBeUndefined();
    expect(routes(fake.calls)).toEqual([
      "POST /v1/identities",
      "GET /v1/identities?search=team&limit=2&cursor=c1",
      "GET /v1/identities/team%2Falpha",
      "PATCH /v1/identities/id_1",
      "DELETE /v1/identities/id_1",
    ]);
    expect(fake.calls[0]?.body).toEqual(input);
    expect(fake.calls[3]?.body).toEqual({ rateLimits: [] });
    await expect(c.getIdentity("")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    expect(fake.calls).toHaveLength(5);
  });

  it("permission and role methods call their routes; setRolePermissions() PUTs the slugs", async () => {
    const page = (item: unknown) => json(200, { items: [item], nextCursor: null });
    const fake = fakeFetch(
      json(201, permission),
      page(permission),
      json(200, permission),
      noContent(),
      json(201, role),
      page(role),
      json(200, role),
      json(200, role),
      noContent(),
    );
    const c = client(fake.fetch);
    await c.createPermission({ slug: "documents.read", name: "Read documents" });
    await c.listPermissions();
    expect(await c.getPermission("documents.read")).toEqual(permission);
    await c.deletePermission("perm_1");
    await c.createRole({ name: "editor", permissions: ["documents.read"] });
    await c.listRoles({ search: "edit" });
    expect(await c.getRole("editor")).toEqual(role);
    await c.setRolePermissions("editor", ["documents.read", "documents.write"]);
    await c.deleteRole("role_1");
    expect(routes(fake.calls)).toEqual([
      "POST /v1/permissions",
      "GET /v1/permissions",
      "GET /v1/permissions/documents.read",
      "DELETE /v1/permissions/perm_1",
      "POST /v1/roles",
      "GET /v1/roles?search=edit",
      "GET /v1/roles/editor",
      "PUT /v1/roles/editor/permissions",
      "DELETE /v1/roles/role_1",
    ]);
    expect(fake.calls[4]?.body).toEqual({ name: "editor", permissions: ["documents.read"] });
    expect(fake.calls[7]?.body).toEqual({ permissions: ["documents.read", "documents.write"] });
    await expect(c.setRolePermissions("", [])).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    expect(fake.calls).toHaveLength(9);
  });
});
