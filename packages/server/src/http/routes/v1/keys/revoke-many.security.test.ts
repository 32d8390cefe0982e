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
beforeAll(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "a", keyPrefix: "pa" });
  projectB = await createProject(t, { name: "b", keyPrefix: "pb" });
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/keys/revoke authorization", () => {
  it("answers 401 without a token and 403 without keys:revoke, revoking nothing", async () => {
    const key = await createKey(t, { ownerId: "owner-guarded" });
    const noToken = await t.request("POST", "/v1/keys/revoke", { ownerId: "owner-guarded" }, null);
    expectProblem(noToken, 401, "UNAUTHORIZED");
    const others = (await mintToken(t, ["keys:create", "keys:read", "keys:update", "keys:rotate"])).token;
    expectProblem(
      await t.request("POST", "/v1/keys/revoke", { ownerId: "owner-guarded" }, others),
      403,
      "FORBIDDEN",
    );
    expect(await verifyKey(t, key.key)).toMatchObject({ valid: true });
    const revoker = (await mintToken(t, ["keys:revoke"])).token;
    const res = await t.request("POST", "/v1/keys/revoke", { ownerId: "owner-guarded" }, revoker);
    expect(res.json()).toEqual({ revoked: 1 });
  });
});

describe("a token limited to project A", () => {
  it("revokes an owner's keys in project A only, leaving the same owner's keys in B working", async () => {
    const limited = (await mintToken(t, ["keys:revoke"], { projectIds: [projectA] })).token;
    const inA = await createKey(t, { projectId: projectA, ownerId: "owner-split" });
    const inB = await createKey(t, { projectId: projectB, ownerId: "owner-split" });
    const res = await t.request("POST", "/v1/keys/revoke", { ownerId: "owner-split" }, limited);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ revoked: 1 });
    expect(await verifyKey(t, inA.key)).toMatchObject({ valid: false, code: "REVOKED" });
    expect(await verifyKey(t, inB.key)).toMatchObject({ valid: true });
  });

  it("answers NOT_FOUND for project B, as for a project that does not exist, and revokes nothing there", async () => {
    const limited = (await mintToken(t, ["keys:revoke"], { projectIds: [projectA] })).token;
    const inB = await createKey(t, { projectId: projectB, ownerId: "owner-b-only" });
    const hidden = await t.request("POST", "/v1/keys/revoke", { projectId: projectB }, limited);
    const absent = await t.request(
      "POST",
      "/v1/keys/revoke",
      { projectId: "proj_0000000000000000000000" },
      limited,
    );
    expectProblem(hidden, 404, "NOT_FOUND");
    expect({ ...hidden.json(), requestId: null }).toEqual({ ...absent.json(), requestId: null });
    const both = await t.request(
      "POST",
      "/v1/keys/revoke",
      { projectId: projectB, ownerId: "owner-b-only" },
      limited,
    );
    expectProblem(both, 404, "NOT_FOUND");
    expect(await verifyKey(t, inB.key)).toMatchObject({ valid: true });
  });
});
