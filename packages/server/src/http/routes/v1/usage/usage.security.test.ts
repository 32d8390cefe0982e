import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  mintToken,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let projectA: string;
let projectB: string;
let keyA: string;
let keyB: string;
beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a" });
  projectB = await createProject(t, { name: "b" });
  const a = await createKey(t, { projectId: projectA });
  const b = await createKey(t, { projectId: projectB });
  keyA = a.id;
  keyB = b.id;
  await verifyKey(t, a.key);
  for (let i = 0; i < 3; i += 1) await verifyKey(t, b.key);
  await t.instance.analytics?.flush();
});
afterAll(async () => {
  await t.close();
});

describe("usage route authorization", () => {
  it("needs a token with usage:read (or a wildcard holding it); keys:read is not enough", async () => {
    for (const url of [`/v1/keys/${keyA}/usage`, "/v1/usage"]) {
      expectProblem(await t.request("GET", url, undefined, null), 401, "UNAUTHORIZED");
      for (const permission of ["keys:read", "keys:*", "metrics:read", "projects:read"]) {
        const token = (await mintToken(t, [permission])).token;
        expectProblem(await t.request("GET", url, undefined, token), 403, "FORBIDDEN");
      }
      for (const permission of ["usage:read", "usage:*", "*"]) {
        const token = (await mintToken(t, [permission])).token;
        expect((await t.request("GET", url, undefined, token)).statusCode, `${url} ${permission}`).toBe(200);
      }
    }
  });

  it("shows a project-limited token only its projects: another project's key and project are NOT_FOUND", async () => {
    const limited = (await mintToken(t, ["usage:read"], { projectIds: [projectA] })).token;
    expect((await t.request("GET", `/v1/keys/${keyA}/usage`, undefined, limited)).statusCode).toBe(200);
    expectProblem(await t.request("GET", `/v1/keys/${keyB}/usage`, undefined, limited), 404, "NOT_FOUND");
    expectProblem(
      await t.request("GET", `/v1/usage?projectId=${projectB}`, undefined, limited),
      404,
      "NOT_FOUND",
    );

    // Without projectId, only the token's own projects are summed.
    const all = await t.request("GET", "/v1/usage", undefined, limited);
    expect(all.json()).toMatchObject({ projectId: null, total: 1, groups: [{ id: keyA, total: 1 }] });
    const root = await t.request("GET", "/v1/usage");
    expect(root.json().total).toBe(4);
  });
});
