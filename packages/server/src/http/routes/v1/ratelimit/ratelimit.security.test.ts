import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, mintToken } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** Every ratelimit route, the permission it needs and a request that would succeed with it. */
const ROUTES: Array<{ method: Method; url: string; body?: unknown; permission: string }> = [
  {
    method: "POST",
    url: "/v1/ratelimit",
    body: { namespace: "sec", identifier: "u", limit: 100, windowMs: 1_000 },
    permission: "ratelimit:limit",
  },
  {
    method: "PUT",
    url: "/v1/ratelimit/overrides",
    body: { namespace: "sec", identifier: "u", limit: 100, windowMs: 1_000 },
    permission: "ratelimit:write",
  },
  { method: "GET", url: "/v1/ratelimit/overrides?namespace=sec", permission: "ratelimit:read" },
  {
    method: "DELETE",
    url: "/v1/ratelimit/overrides?namespace=sec&identifier=u",
    permission: "ratelimit:write",
  },
];

describe("ratelimit routes", () => {
  it("answer 401 with WWW-Authenticate without a token or with a garbage one", async () => {
    for (const route of ROUTES) {
      for (const token of [null, "kwr_garbage"]) {
        const res = await t.request(route.method, route.url, route.body, token);
        expectProblem(res, 401, "UNAUTHORIZED");
        expect(res.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
      }
    }
  });

  it("each need their own permission: the others, and keys:*, are refused with 403", async () => {
    const others = ["ratelimit:limit", "ratelimit:read", "ratelimit:write", "keys:*", "projects:write"];
    const tokens = new Map<string, string>();
    for (const permission of others) tokens.set(permission, (await mintToken(t, [permission])).token);
    for (const route of ROUTES) {
      for (const [permission, token] of tokens) {
        const res = await t.request(route.method, route.url, route.body, token);
        if (permission === route.permission) {
          // DELETE runs last, after PUT created the override it removes.
          expect(res.statusCode, `${route.method} ${route.url} as ${permission}: ${res.body}`).toBeLessThan(
            300,
          );
        } else {
          expectProblem(res, 403, "FORBIDDEN");
        }
      }
    }
  });

  it("are all granted by ratelimit:*", async () => {
    const token = (await mintToken(t, ["ratelimit:*"])).token;
    for (const route of ROUTES) {
      const res = await t.request(route.method, route.url, route.body, token);
      expect(res.statusCode, `${route.method} ${route.url}: ${res.body}`).toBeLessThan(300);
    }
  });
});

describe("a token that may only check limits", () => {
  it("cannot raise its own limit with an override, nor see or remove the overrides of others", async () => {
    const checker = (await mintToken(t, ["ratelimit:limit"])).token;
    const admin = (await mintToken(t, ["ratelimit:write", "ratelimit:read"])).token;
    const strict = { namespace: "strict", identifier: "caller", limit: 1, windowMs: 60_000 };
    await t.request("PUT", "/v1/ratelimit/overrides", { ...strict, limit: 2 }, admin);

    expectProblem(
      await t.request("PUT", "/v1/ratelimit/overrides", { ...strict, limit: 1_000_000 }, checker),
      403,
      "FORBIDDEN",
    );
    expectProblem(
      await t.request(
        "DELETE",
        "/v1/ratelimit/overrides?namespace=strict&identifier=caller",
        undefined,
        checker,
      ),
      403,
      "FORBIDDEN",
    );
    expectProblem(
      await t.request("GET", "/v1/ratelimit/overrides?namespace=strict", undefined, checker),
      403,
      "FORBIDDEN",
    );
    const answers: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      answers.push((await t.request("POST", "/v1/ratelimit", strict, checker)).json().success);
    }
    expect(answers).toEqual([true, true, false]);
  });
});

describe("identifiers", () => {
  it("are data, never a path: traversal and encoded slashes in them reach no other route", async () => {
    const identifier = "../../v1/tokens/%2e%2e/%2F";
    const put = await t.request("PUT", "/v1/ratelimit/overrides", {
      namespace: "paths",
      identifier,
      limit: 1,
      windowMs: 100,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().identifier).toBe(identifier);
    const listed = await t.request("GET", "/v1/ratelimit/overrides?namespace=paths");
    expect(listed.json().items.map((o: { identifier: string }) => o.identifier)).toEqual([identifier]);
    const deleted = await t.request(
      "DELETE",
      `/v1/ratelimit/overrides?namespace=paths&identifier=${encodeURIComponent(identifier)}`,
    );
    expect(deleted.statusCode, deleted.body).toBe(204);
  });
});
