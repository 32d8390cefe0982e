import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectProblem } from "../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../test/support/test-app.js";
import { UnavailableRateLimiter } from "../../../test/support/unavailable-rate-limiter.js";
import { openSqliteStores } from "../../store/sqlite-stores.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

describe("when the store is down", () => {
  it("GET /readyz answers 503 STORE_UNAVAILABLE while /healthz still answers 200", async () => {
    await t.instance.store.close();
    expectProblem(await t.request("GET", "/readyz", undefined, null), 503, "STORE_UNAVAILABLE");
    expect((await t.request("GET", "/healthz", undefined, null)).statusCode).toBe(200);
  });

  it("a route that needs the store answers 503 STORE_UNAVAILABLE, never a bare 500", async () => {
    // The first request caches the root token, so authentication still passes once the store is gone.
    expect((await t.request("GET", "/v1/keys")).statusCode).toBe(200);
    await t.instance.store.close();
    expectProblem(await t.request("GET", "/v1/keys"), 503, "STORE_UNAVAILABLE");
    expectProblem(await t.request("POST", "/v1/keys", {}), 503, "STORE_UNAVAILABLE");
  });
});

describe("GET /readyz with a dependency in trouble", () => {
  it("reports a rate limiter that does not answer, and stays ready: every node shares it", async () => {
    const down = await createTestApp({ limiter: new UnavailableRateLimiter() });
    try {
      const res = await down.request("GET", "/readyz", undefined, null);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: "ready",
        checks: { store: "ok", migrations: "current", rateLimiter: "unavailable", cacheInvalidation: "off" },
      });
    } finally {
      await down.close();
    }
  });

  it("answers 503 NOT_READY while the store's schema is older than this build", async () => {
    const stores = openSqliteStores({ path: ":memory:" });
    const behind = await createTestApp({
      stores: { ...stores, keys: Object.assign(stores.keys, { schemaVersion: async () => 2 }) },
    });
    try {
      expectProblem(await behind.request("GET", "/readyz", undefined, null), 503, "NOT_READY");
    } finally {
      await behind.close();
    }
  });
});

describe("public routes", () => {
  it("answer 404 NOT_FOUND for any other method", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"] as const) {
      for (const url of ["/healthz", "/readyz", "/openapi.json"]) {
        expectProblem(await t.request(method, url, undefined, null), 404, "NOT_FOUND");
      }
    }
  });
});
