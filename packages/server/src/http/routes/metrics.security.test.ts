import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, expectProblem, mintToken } from "../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("GET /metrics access", () => {
  it("answers 401 without a token", async () => {
    expectProblem(await t.request("GET", "/metrics", undefined, null), 401, "UNAUTHORIZED");
  });

  it("answers 403 to a token without metrics:read", async () => {
    const other = (await mintToken(t, ["keys:read", "keys:verify", "webhooks:read"])).token;
    const res = await t.request("GET", "/metrics", undefined, other);
    expectProblem(res, 403, "FORBIDDEN");
    expect(res.body).not.toContain("keyward_");
  });

  it("answers 403 to a metrics:read token limited to projects: the metrics are instance-wide", async () => {
    const projectId = await createProject(t, { name: "metrics-limited" });
    const limited = (await mintToken(t, ["metrics:read"], { projectIds: [projectId] })).token;
    const res = await t.request("GET", "/metrics", undefined, limited);
    expectProblem(res, 403, "FORBIDDEN");
    expect(res.body).not.toContain("keyward_rate_limiter");
  });

  it("answers the root token", async () => {
    expect((await t.request("GET", "/metrics")).statusCode).toBe(200);
  });
});
