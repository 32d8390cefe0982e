import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const inject = (method: "GET" | "POST" | "OPTIONS" | "DELETE" | "PUT", url: string) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${t.rootToken}` } });

describe("routing errors", () => {
  it("answers an unknown route with a 404 NOT_FOUND problem, with or without a token", async () => {
    for (const url of ["/", "/v2/keys", "/v1/key", "/v1/keys/a/b/c", "/favicon.ico"]) {
      const body = expectProblem(await inject("GET", url), 404, "NOT_FOUND");
      expect(body.detail).toBe("No route matches this method and path.");
      expectProblem(await t.app.inject({ method: "GET", url }), 404, "NOT_FOUND");
    }
  });

  it("answers a method a path does not have with 404 NOT_FOUND", async () => {
    expectProblem(await inject("DELETE", "/v1/keys/key_x"), 404, "NOT_FOUND");
    expectProblem(await inject("PUT", "/v1/keys"), 404, "NOT_FOUND");
    expectProblem(await inject("OPTIONS", "/v1/keys"), 404, "NOT_FOUND");
  });

  it("answers bad percent-encoding in the path with a 404 problem document, not Fastify's own JSON", async () => {
    for (const url of ["/v1/keys/%", "/v1/keys/%E0%A4%A", "/v1/%zz", "/v1/projects/%C0%AF"]) {
      const body = expectProblem(await inject("GET", url), 404, "NOT_FOUND");
      expect(body.detail, "the path is not echoed").not.toContain("%");
    }
  });

  it("answers a path parameter over the router's limit with a 400 problem that does not echo it", async () => {
    const id = `key_${"x".repeat(300)}`;
    const res = await inject("GET", `/v1/keys/${id}`);
    expectProblem(res, 400, "VALIDATION_ERROR");
    expect(res.body).not.toContain(id);
  });

  it("answers %00, encoded slashes and dot segments in an id as an unknown key", async () => {
    for (const id of ["%00", "a%2Fb", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "key_%F0%9F%94%91"]) {
      expectProblem(await inject("GET", `/v1/keys/${id}`), 404, "NOT_FOUND");
    }
  });
});
