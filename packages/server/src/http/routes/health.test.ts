import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("public routes", () => {
  it("GET /healthz answers 200 {status: ok} without a token", async () => {
    const res = await t.request("GET", "/healthz", undefined, null);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
    expect(res.headers["x-request-id"]).toMatch(/^req_/);
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("GET /readyz answers 200 with each dependency's state while the store answers and its schema is current", async () => {
    const res = await t.request("GET", "/readyz", undefined, null);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: "ready",
      checks: { store: "ok", migrations: "current", rateLimiter: "ok", cacheInvalidation: "off" },
    });
  });

  it("GET /openapi.json answers the OpenAPI document without a token", async () => {
    const res = await t.request("GET", "/openapi.json", undefined, null);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({
      openapi: expect.stringMatching(/^3\.1\./),
      info: { title: "Keyward API" },
    });
  });

  it("HEAD answers like GET, without a body", async () => {
    for (const url of ["/healthz", "/readyz", "/openapi.json"]) {
      const res = await t.app.inject({ method: "HEAD", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe("");
    }
  });

  it("ignores a trailing slash", async () => {
    expect((await t.request("GET", "/healthz/", undefined, null)).statusCode).toBe(200);
  });
});
