import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectProblem } from "../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../test/support/test-app.js";

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

describe("public routes", () => {
  it("answer 404 NOT_FOUND for any other method", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"] as const) {
      for (const url of ["/healthz", "/readyz", "/openapi.json"]) {
        expectProblem(await t.request(method, url, undefined, null), 404, "NOT_FOUND");
      }
    }
  });
});
