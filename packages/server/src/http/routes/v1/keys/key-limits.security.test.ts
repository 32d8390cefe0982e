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
  projectA = await createProject(t, { name: "a" });
  projectB = await createProject(t, { name: "b" });
});
afterAll(async () => {
  await t.close();
});

const balanceOf = async (id: string): Promise<number> =>
  (await t.request("GET", `/v1/keys/${id}`)).json().quota.remaining;

describe("POST /v1/keys/{id}/quota authorization", () => {
  it("needs a token, and keys:update: keys:read or keys:verify cannot change a balance", async () => {
    const key = await createKey(t, { projectId: projectA, quota: { remaining: 5 } });
    const url = `/v1/keys/${key.id}/quota`;
    const unauthenticated = await t.request("POST", url, { set: 100 }, null);
    expectProblem(unauthenticated, 401, "UNAUTHORIZED");
    expect(unauthenticated.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
    for (const permission of ["keys:read", "keys:verify", "keys:create", "ratelimit:write"]) {
      const token = (await mintToken(t, [permission])).token;
      expectProblem(await t.request("POST", url, { set: 100 }, token), 403, "FORBIDDEN");
    }
    expect(await balanceOf(key.id)).toBe(5);
    const updater = (await mintToken(t, ["keys:update"])).token;
    const res = await t.request("POST", url, { increment: 1 }, updater);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().quota.remaining).toBe(6);
  });

  it("hides another project's key from a limited token as NOT_FOUND, leaving its balance alone", async () => {
    const limited = (await mintToken(t, ["keys:*"], { projectIds: [projectA] })).token;
    const own = await createKey(t, { projectId: projectA, quota: { remaining: 5 } });
    const other = await createKey(t, { projectId: projectB, quota: { remaining: 5 } });
    const hidden = await t.request("POST", `/v1/keys/${other.id}/quota`, { set: 1_000 }, limited);
    const absent = await t.request("POST", "/v1/keys/key_0000000000000000000000/quota", { set: 1 }, limited);
    expectProblem(hidden, 404, "NOT_FOUND");
    expect({ ...hidden.json(), requestId: null }).toEqual({ ...absent.json(), requestId: null });
    expect(await balanceOf(other.id)).toBe(5);
    const allowed = await t.request("POST", `/v1/keys/${own.id}/quota`, { set: 1_000 }, limited);
    expect(allowed.statusCode, allowed.body).toBe(200);
  });
});

describe("limits seen through a token limited to one project", () => {
  it("spend nothing when the key is hidden from the verifying token", async () => {
    const verifier = (await mintToken(t, ["keys:verify"], { projectIds: [projectA] })).token;
    const other = await createKey(t, {
      projectId: projectB,
      rateLimits: [{ name: "requests", limit: 1, windowMs: 60_000 }],
      quota: { remaining: 1 },
    });
    expect(await verifyKey(t, other.key, {}, verifier)).toEqual({ valid: false, code: "NOT_FOUND" });
    expect(await verifyKey(t, other.key)).toMatchObject({ code: "VALID", quota: { remaining: 0 } });
  });
});

describe("the quota's internals", () => {
  it("are never shown: no pool id on the key, in verify answers or after a rotation", async () => {
    const key = await createKey(t, { quota: { remaining: 5, refill: { amount: 5, interval: "day" } } });
    const rotated = await t.request("POST", `/v1/keys/${key.id}/rotate`, {});
    const bodies = [
      JSON.stringify(key),
      (await t.request("GET", `/v1/keys/${key.id}`)).body,
      rotated.body,
      (await t.request("GET", "/v1/keys?limit=100")).body,
      (await t.request("POST", "/v1/keys/verify", { key: key.key })).body,
      (await t.request("POST", `/v1/keys/${key.id}/quota`, { set: 2 })).body,
    ];
    for (const body of bodies) expect(body).not.toContain("poolId");
    expect(Object.keys(rotated.json().quota)).toEqual(["remaining", "refill", "refilledAt"]);
  });
});
