import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/projects validation", () => {
  it("names a missing, empty or over-long name", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/projects", {}))).toEqual(["/name"]);
    expect(expectValidationError(await t.request("POST", "/v1/projects", { name: "" }))).toEqual(["/name"]);
    expect(expectValidationError(await t.request("POST", "/v1/projects", { name: "n".repeat(256) }))).toEqual(
      ["/name"],
    );
  });

  it("names every wrong field at once, unknown ones included", async () => {
    const pointers = expectValidationError(
      await t.request("POST", "/v1/projects", { name: 1, keyPrefix: ["kw"], prefix: "kw" }),
    );
    expect(pointers).toEqual(expect.arrayContaining(["/name", "/keyPrefix", "/prefix"]));
  });

  it("refuses a keyPrefix outside [a-z][a-z0-9_]{0,19}", async () => {
    for (const keyPrefix of ["Bill", "1bill", "bi-ll", "bill!", "bïll", "_bill", "", "b".repeat(21)]) {
      const res = await t.request("POST", "/v1/projects", { name: "p", keyPrefix });
      expect(expectValidationError(res), keyPrefix).toEqual(["/keyPrefix"]);
    }
  });

  it("refuses a body that is not JSON", async () => {
    const base = { method: "POST" as const, url: "/v1/projects" };
    const headers = { authorization: `Bearer ${t.rootToken}` };
    expectProblem(
      await t.app.inject({
        ...base,
        headers: { ...headers, "content-type": "application/json" },
        payload: "{",
      }),
      400,
      "INVALID_JSON",
    );
    expectProblem(
      await t.app.inject({
        ...base,
        headers: { ...headers, "content-type": "text/plain" },
        payload: "name=x",
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expectProblem(
      await t.app.inject({
        ...base,
        headers: { ...headers, "content-type": "application/json" },
        payload: JSON.stringify({ name: "x".repeat(70_000) }),
      }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });
});

describe("GET /v1/projects/{id}", () => {
  it("answers NOT_FOUND for an unknown id", async () => {
    expectProblem(await t.request("GET", "/v1/projects/proj_0000000000000000000000"), 404, "NOT_FOUND");
  });

  it("refuses an id over 64 characters", async () => {
    expect(expectValidationError(await t.request("GET", `/v1/projects/${"p".repeat(65)}`))).toEqual(["/id"]);
  });
});

describe("GET /v1/projects", () => {
  it("refuses a bad cursor, a limit of 0 or 101, and unknown parameters", async () => {
    expect(expectValidationError(await t.request("GET", "/v1/projects?cursor=***"))).toEqual(["/cursor"]);
    expect(expectValidationError(await t.request("GET", "/v1/projects?limit=0"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/projects?limit=101"))).toEqual(["/limit"]);
    expect(expectValidationError(await t.request("GET", "/v1/projects?projectId=x"))).toEqual(["/projectId"]);
  });
});
