import { randomBytes } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  rawResponse,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, createTraceLoggedApp, type TestApp } from "../../../../../test/support/test-app.js";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

let t: TestApp;
let projectA: string;
let projectB: string;
let hookA: { id: string; secret: string };
let hookB: { id: string; secret: string };
/** An event id delivered to hookB. */
let eventB: string;
/** A token with every webhooks permission, limited to project A. */
let limitedToA: string;

async function createWebhook(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await t.request("POST", "/v1/webhooks", {
    url: "https://hooks.example.com/s",
    events: ["*"],
    ...body,
  });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as { id: string; secret: string };
}

beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
  hookA = await createWebhook({ projectId: projectA });
  hookB = await createWebhook({ projectId: projectB });
  await createKey(t, { projectId: projectB });
  const [delivery] = await t.instance.stores.webhooks.listDeliveries(hookB.id, { limit: 1 });
  if (delivery === undefined) throw new Error("a key created in project B queues a delivery to hookB");
  eventB = delivery.id;
  limitedToA = (await mintToken(t, ["webhooks:*"], { projectIds: [projectA] })).token;
});
afterAll(async () => {
  await t.close();
});

/** Every webhooks route, with a request that would succeed for the root token (DELETE last). */
function webhookRoutes(): Array<{ method: Method; url: string; body?: unknown; permission: string }> {
  return [
    {
      method: "POST",
      url: "/v1/webhooks",
      body: { url: "https://x.example/h", events: ["*"] },
      permission: "write",
    },
    { method: "GET", url: "/v1/webhooks", permission: "read" },
    { method: "GET", url: `/v1/webhooks/${hookB.id}`, permission: "read" },
    { method: "PATCH", url: `/v1/webhooks/${hookB.id}`, body: { enabled: true }, permission: "write" },
    { method: "GET", url: `/v1/webhooks/${hookB.id}/deliveries`, permission: "read" },
    {
      method: "POST",
      url: `/v1/webhooks/${hookB.id}/deliveries/${eventB}/retry`,
      body: {},
      permission: "write",
    },
    { method: "DELETE", url: `/v1/webhooks/${hookB.id}`, permission: "write" },
  ];
}

describe("authentication", () => {
  it("answers 401 with WWW-Authenticate on every webhooks route without a token", async () => {
    for (const route of webhookRoutes()) {
      const res = await t.request(route.method, route.url, route.body, null);
      expectProblem(res, 401, "UNAUTHORIZED");
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
    }
  });
});

describe("authorization", () => {
  it("lets a webhooks:read token read, and answers 403 to it on create, update, delete and retry", async () => {
    const reader = (await mintToken(t, ["webhooks:read"])).token;
    for (const route of webhookRoutes()) {
      const res = await t.request(route.method, route.url, route.body, reader);
      if (route.permission === "read") expect(res.statusCode, `${route.method} ${route.url}`).toBe(200);
      else expectProblem(res, 403, "FORBIDDEN");
    }
    expect((await t.request("GET", `/v1/webhooks/${hookB.id}`)).statusCode, "still there").toBe(200);
  });

  it("answers 403 to a webhooks:write token on the read routes", async () => {
    const writer = (await mintToken(t, ["webhooks:write"])).token;
    for (const route of webhookRoutes().filter((r) => r.permission === "read")) {
      expectProblem(await t.request(route.method, route.url, route.body, writer), 403, "FORBIDDEN");
    }
  });

  it("answers 403 on every webhooks route to tokens holding every other permission", async () => {
    const others = (await mintToken(t, ["keys:*", "projects:read", "projects:write", "tokens:read"])).token;
    for (const route of webhookRoutes()) {
      expectProblem(await t.request(route.method, route.url, route.body, others), 403, "FORBIDDEN");
    }
  });
});

describe("a token limited to project A", () => {
  it("sees project B's webhook as NOT_FOUND on every route, and leaves it and its deliveries untouched", async () => {
    const before = (await t.request("GET", `/v1/webhooks/${hookB.id}`)).json();
    const deliveriesBefore = (await t.request("GET", `/v1/webhooks/${hookB.id}/deliveries`)).json();
    for (const route of webhookRoutes().filter((r) => r.url !== "/v1/webhooks")) {
      const body = route.method === "PATCH" ? { enabled: false, url: "https://evil.example/h" } : route.body;
      expectProblem(await t.request(route.method, route.url, body, limitedToA), 404, "NOT_FOUND");
    }
    expect((await t.request("GET", `/v1/webhooks/${hookB.id}`)).json()).toEqual(before);
    expect((await t.request("GET", `/v1/webhooks/${hookB.id}/deliveries`)).json()).toEqual(deliveriesBefore);
  });

  it("answers the same NOT_FOUND for B's webhook as for one that does not exist", async () => {
    const strip = (res: LightMyRequestResponse) => ({ ...res.json(), requestId: undefined });
    const hidden = await t.request("GET", `/v1/webhooks/${hookB.id}`, undefined, limitedToA);
    const absent = await t.request("GET", "/v1/webhooks/wh_0000000000000000000000", undefined, limitedToA);
    expect(strip(hidden)).toEqual(strip(absent));
  });

  it("lists only project A's webhooks, whatever the filter", async () => {
    const list = async (query: string): Promise<string[]> => {
      const res = await t.request("GET", `/v1/webhooks?limit=100${query}`, undefined, limitedToA);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as Array<{ projectId: string }>).map((w) => w.projectId);
    };
    expect(new Set(await list(""))).toEqual(new Set([projectA]));
    expect(await list(`&projectId=${projectA}`)).toEqual([projectA]);
    expect(await list(`&projectId=${projectB}`)).toEqual([]);
  });

  it("manages project A's webhooks, and cannot create one in project B or the default project", async () => {
    expect((await t.request("GET", `/v1/webhooks/${hookA.id}`, undefined, limitedToA)).statusCode).toBe(200);
    const patched = await t.request("PATCH", `/v1/webhooks/${hookA.id}`, { description: "mine" }, limitedToA);
    expect(patched.json()).toMatchObject({ description: "mine" });
    const body = { url: "https://x.example/h", events: ["*"] };
    expectProblem(
      await t.request("POST", "/v1/webhooks", { ...body, projectId: projectB }, limitedToA),
      404,
      "NOT_FOUND",
    );
    expectProblem(await t.request("POST", "/v1/webhooks", body, limitedToA), 404, "NOT_FOUND");
    const created = await t.request("POST", "/v1/webhooks", { ...body, projectId: projectA }, limitedToA);
    expect(created.statusCode).toBe(201);
  });
});

describe("webhook secrets", () => {
  it("appear in no response, header or error except the one create response", async () => {
    const given = `whsec_${randomBytes(32).toString("base64")}`;
    const created = await t.request("POST", "/v1/webhooks", {
      url: "https://hooks.example.com/secret-check",
      events: ["*"],
      secret: given,
    });
    expect(created.json().secret).toBe(given);
    const generated = await createWebhook({});
    const { id } = created.json() as { id: string };
    const secrets = [
      given,
      given.slice(6),
      generated.secret,
      generated.secret.slice(6),
      hookA.secret,
      hookB.secret,
    ];

    await createKey(t);
    const [delivery] = await t.instance.stores.webhooks.listDeliveries(id, { limit: 1 });
    const responses: LightMyRequestResponse[] = [
      await t.request("GET", `/v1/webhooks/${id}`),
      await t.request("GET", `/v1/webhooks/${generated.id}`),
      await t.request("GET", "/v1/webhooks?limit=100"),
      await t.request("PATCH", `/v1/webhooks/${id}`, { description: "renamed" }),
      await t.request("GET", `/v1/webhooks/${id}/deliveries`),
      await t.request("POST", `/v1/webhooks/${id}/deliveries/${delivery?.id}/retry`),
      // Errors whose request carried a secret somewhere.
      await t.request("PATCH", `/v1/webhooks/${id}`, { secret: given }),
      await t.request("POST", "/v1/webhooks", {
        url: "https://h.example/x",
        events: ["*"],
        secret: `${given}x`,
      }),
      await t.request("POST", "/v1/webhooks", {
        url: "https://h.example/x",
        events: ["*"],
        secret: given.slice(6),
      }),
      await t.request("POST", "/v1/webhooks", {
        url: `https://h.example/${given}`,
        events: ["*"],
        secret: 1,
      }),
      await t.request("POST", "/v1/webhooks", { url: "https://h.example/x", events: [given], secret: given }),
      await t.request("POST", "/v1/webhooks", { url: "ftp://h.example/x", events: ["*"], secret: given }),
      await t.app.inject({
        method: "POST",
        url: "/v1/webhooks",
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "application/json" },
        payload: `{"url": "https://h.example/x", "secret": "${given}"`,
      }),
      await t.request("DELETE", `/v1/webhooks/${id}`),
    ];
    for (const [index, res] of responses.entries()) {
      const raw = rawResponse(res);
      for (const secret of secrets) expect(raw, `response ${index}`).not.toContain(secret);
    }
  });

  it("never reach the log, whatever the request, even when it fails on the server", async () => {
    const { app, instance, lines, close } = await createTraceLoggedApp();
    try {
      const send = (method: Method, url: string, body?: unknown) =>
        app.inject({
          method,
          url,
          headers: {
            authorization: `Bearer ${instance.rootToken}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
      const given = `whsec_${randomBytes(32).toString("base64")}`;
      const created = await send("POST", "/v1/webhooks", {
        url: "https://h.example/x",
        events: ["*"],
        secret: given,
      });
      expect(created.statusCode).toBe(201);
      const generated = await send("POST", "/v1/webhooks", { url: "https://h.example/y", events: ["*"] });
      const secrets = [given, generated.json().secret as string];
      const id = created.json().id as string;
      const statuses = [
        await send("GET", `/v1/webhooks/${id}`),
        await send("GET", "/v1/webhooks"),
        await send("PATCH", `/v1/webhooks/${id}`, { secret: given }),
        await send("POST", "/v1/webhooks", {
          url: "https://h.example/x",
          events: ["*"],
          secret: `${given}!`,
        }),
        await send("POST", "/v1/webhooks", { url: "https://h.example/x", events: ["nope"], secret: given }),
      ].map((r) => r.statusCode);
      expect(statuses).toEqual([200, 200, 400, 400, 400]);
      // A server-side failure is logged with its error: close the store, then create a webhook with a secret.
      await instance.store.close();
      const failed = await send("POST", "/v1/webhooks", {
        url: "https://h.example/z",
        events: ["*"],
        secret: given,
      });
      expect(failed.statusCode).toBeGreaterThanOrEqual(500);

      const log = lines.join("");
      expect(log, "request logging is on, so there is something to check").toContain("request completed");
      expect(log, "the 5xx is logged with its request id").toContain(failed.json().requestId);
      for (const secret of secrets) {
        expect(log).not.toContain(secret);
        expect(log).not.toContain(secret.slice(6));
      }
    } finally {
      await close();
    }
  });
});
