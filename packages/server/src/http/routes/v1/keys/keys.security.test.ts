import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CreatedKey,
  createKey,
  createProject,
  expectProblem,
  mintToken,
  rawResponse,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let keyA: CreatedKey;
let keyB: CreatedKey;
let projectA: string;
let projectB: string;
/** A token holding every keys permission, limited to project A. */
let limitedToA: string;

beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
  keyA = await createKey(t, { projectId: projectA, name: "key a", ownerId: "shared-owner" });
  keyB = await createKey(t, { projectId: projectB, name: "key b", ownerId: "shared-owner", scopes: ["x"] });
  limitedToA = (await mintToken(t, ["keys:*"], { projectIds: [projectA] })).token;
});
afterAll(async () => {
  await t.close();
});

/** Every keys route with a body that would succeed for the root token. */
function keyRoutes(): Array<{ method: "GET" | "POST" | "PATCH"; url: string; body?: unknown }> {
  return [
    { method: "POST", url: "/v1/keys", body: {} },
    { method: "GET", url: "/v1/keys" },
    { method: "GET", url: `/v1/keys/${keyA.id}` },
    { method: "PATCH", url: `/v1/keys/${keyA.id}`, body: { name: "key a" } },
    { method: "POST", url: "/v1/keys/verify", body: { key: keyA.key } },
    { method: "POST", url: `/v1/keys/${keyB.id}/revoke`, body: {} },
    { method: "POST", url: `/v1/keys/${keyA.id}/rotate`, body: {} },
    { method: "POST", url: "/v1/keys/revoke", body: { ownerId: "shared-owner" } },
  ];
}

function expectUnauthorized(res: LightMyRequestResponse): void {
  expectProblem(res, 401, "UNAUTHORIZED");
  expect(res.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
}

describe("authentication", () => {
  it("answers 401 with WWW-Authenticate on every keys route without a token", async () => {
    for (const route of keyRoutes()) {
      expectUnauthorized(await t.request(route.method, route.url, route.body, null));
    }
  });

  it("answers 401 for a garbage, malformed or over-long bearer token", async () => {
    const forged = `kwr_${"A".repeat(49)}`;
    for (const header of [
      "Bearer garbage",
      `Bearer ${forged}`,
      `Basic ${Buffer.from("root:root").toString("base64")}`,
      t.rootToken,
      "Bearer",
      `Bearer ${"x".repeat(600)}`,
      `Bearer ${keyA.key}`,
    ]) {
      const res = await t.app.inject({ method: "GET", url: "/v1/keys", headers: { authorization: header } });
      expectUnauthorized(res);
    }
  });

  it("answers 401 to a revoked token from the next request on", async () => {
    const minted = await mintToken(t, ["keys:read"]);
    expect((await t.request("GET", "/v1/keys", undefined, minted.token)).statusCode).toBe(200);
    await t.request("POST", `/v1/tokens/${minted.id}/revoke`, {});
    for (const route of keyRoutes()) {
      expectUnauthorized(await t.request(route.method, route.url, route.body, minted.token));
    }
  });

  it("refuses to parse the body of an unauthenticated request", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/keys",
      headers: { "content-type": "application/json" },
      payload: "{ not json",
    });
    expectUnauthorized(res);
  });
});

describe("authorization", () => {
  it("answers 403 FORBIDDEN when the token lacks the route's permission", async () => {
    const verifyOnly = (await mintToken(t, ["keys:verify"])).token;
    for (const route of keyRoutes().filter((r) => r.url !== "/v1/keys/verify")) {
      expectProblem(await t.request(route.method, route.url, route.body, verifyOnly), 403, "FORBIDDEN");
    }
    expect(await verifyKey(t, keyA.key, {}, verifyOnly)).toMatchObject({ valid: true });
  });
});

describe("a token limited to project A", () => {
  it("sees project B's key as NOT_FOUND on get, update and revoke, and leaves it untouched", async () => {
    expectProblem(await t.request("GET", `/v1/keys/${keyB.id}`, undefined, limitedToA), 404, "NOT_FOUND");
    expectProblem(
      await t.request("PATCH", `/v1/keys/${keyB.id}`, { enabled: false }, limitedToA),
      404,
      "NOT_FOUND",
    );
    expectProblem(
      await t.request("POST", `/v1/keys/${keyB.id}/revoke`, { reason: "x" }, limitedToA),
      404,
      "NOT_FOUND",
    );
    const still = await t.request("GET", `/v1/keys/${keyB.id}`);
    expect(still.json()).toMatchObject({ enabled: true, revokedAt: null });
  });

  it("answers the same NOT_FOUND for B's key as for a key that does not exist", async () => {
    const hidden = await t.request("GET", `/v1/keys/${keyB.id}`, undefined, limitedToA);
    const absent = await t.request("GET", "/v1/keys/key_0000000000000000000000", undefined, limitedToA);
    const strip = (res: LightMyRequestResponse) => ({ ...res.json(), requestId: undefined });
    expect(strip(hidden)).toEqual(strip(absent));
  });

  it("gets NOT_FOUND with no details when verifying project B's key", async () => {
    expect(await verifyKey(t, keyB.key, {}, limitedToA)).toEqual({ valid: false, code: "NOT_FOUND" });
    expect(await verifyKey(t, keyB.key, { scopes: ["y"] }, limitedToA)).toEqual({
      valid: false,
      code: "NOT_FOUND",
    });
    expect(await verifyKey(t, keyA.key, {}, limitedToA)).toMatchObject({ valid: true, keyId: keyA.id });
    expect(await verifyKey(t, keyB.key)).toMatchObject({ valid: true, keyId: keyB.id });
  });

  it("lists only project A's keys, whatever the filter", async () => {
    const list = async (query: string): Promise<string[]> => {
      const res = await t.request("GET", `/v1/keys?limit=100${query}`, undefined, limitedToA);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as Array<{ projectId: string }>).map((k) => k.projectId);
    };
    const all = await list("");
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all)).toEqual(new Set([projectA]));
    expect(await list(`&projectId=${projectB}`)).toEqual([]);
    expect(new Set(await list("&ownerId=shared-owner"))).toEqual(new Set([projectA]));
  });

  it("cannot create keys in project B, nor in the default project", async () => {
    expectProblem(await t.request("POST", "/v1/keys", { projectId: projectB }, limitedToA), 404, "NOT_FOUND");
    expectProblem(await t.request("POST", "/v1/keys", {}, limitedToA), 404, "NOT_FOUND");
    const created = await createKey(t, { projectId: projectA }, limitedToA);
    expect(created.key).toMatch(/^pa_/);
  });
});

describe("plaintext keys and tokens", () => {
  it("appear in no response, header or error except the one create response", async () => {
    const minted = await mintToken(t, ["keys:*"]);
    const created = await createKey(t, { name: "secret-check", scopes: ["s"] });
    const secrets = [created.key, created.key.slice(created.key.lastIndexOf("_") + 1), minted.token];
    const responses: LightMyRequestResponse[] = [
      await t.request("GET", `/v1/keys/${created.id}`),
      await t.request("GET", "/v1/keys?limit=100"),
      await t.request("GET", "/v1/tokens?limit=100"),
      await t.request("PATCH", `/v1/keys/${created.id}`, { name: "renamed" }),
      await t.request("POST", "/v1/keys/verify", { key: created.key }, minted.token),
      await t.request("POST", "/v1/keys/verify", { key: created.key, scopes: ["other"] }),
      // Errors whose request carried the secret somewhere.
      await t.request("POST", "/v1/keys/verify", { key: created.key, ip: "not-an-ip" }),
      await t.request("POST", "/v1/keys/verify", { key: created.key, [created.key.slice(0, 20)]: 1 }),
      await t.request("POST", "/v1/keys/verify", { key: `${created.key}${"x".repeat(300)}` }),
      await t.request("POST", "/v1/keys", { name: created.key.repeat(6) }),
      await t.request("POST", "/v1/keys", { scopes: [`${created.key}!`] }),
      await t.request("POST", "/v1/keys", { expiresAt: created.key }),
      await t.app.inject({
        method: "POST",
        url: "/v1/keys/verify",
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "application/json" },
        payload: `{"key": "${created.key}"`,
      }),
      await t.app.inject({
        method: "POST",
        url: "/v1/keys/verify",
        headers: { authorization: `Bearer ${minted.token}x`, "content-type": "application/json" },
        payload: JSON.stringify({ key: created.key }),
      }),
      await t.app.inject({
        method: "POST",
        url: "/v1/keys/verify",
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": "text/plain" },
        payload: created.key,
      }),
      await t.request("POST", `/v1/keys/${created.id}/revoke`, { reason: "done" }),
      await t.request("PATCH", `/v1/keys/${created.id}`, { name: "after revoke" }),
    ];
    for (const [index, res] of responses.entries()) {
      const raw = rawResponse(res);
      for (const secret of [...secrets, t.rootToken]) expect(raw, `response ${index}`).not.toContain(secret);
    }
  });
});
