import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, expectProblem } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
let projectId: string;
beforeAll(async () => {
  t = await createTestApp();
  projectId = await createProject(t, { name: "capped", keyPrefix: "cap" });
  const res = await t.request("PATCH", `/v1/projects/${projectId}`, { policies: { maxLifetime: "P30D" } });
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(async () => {
  await t.close();
});

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe("POST /v1/keys under a maxLifetime", () => {
  it("answers 422 POLICY_VIOLATION naming /expiresAt for an expiry 1 ms past the maximum", async () => {
    const latest = t.clock.now() + 30 * DAY_MS;
    const problem = expectProblem(
      await t.request("POST", "/v1/keys", { projectId, expiresAt: iso(latest + 1) }),
      422,
      "POLICY_VIOLATION",
    );
    expect(problem.errors).toEqual([{ pointer: "/expiresAt", detail: problem.detail }]);
    expect(problem.detail).toContain(iso(latest));
  });

  it("answers 422 POLICY_VIOLATION for expiresAt null (never)", async () => {
    const problem = expectProblem(
      await t.request("POST", "/v1/keys", { projectId, expiresAt: null }),
      422,
      "POLICY_VIOLATION",
    );
    expect(problem.errors?.[0]?.pointer).toBe("/expiresAt");
  });

  it("creates nothing when it refuses", async () => {
    await t.request("POST", "/v1/keys", { projectId, ownerId: "refused-owner", expiresAt: null });
    const listed = await t.request("GET", "/v1/keys?ownerId=refused-owner");
    expect(listed.json().items).toEqual([]);
  });

  it("still answers 400, not 422, for an expiry in the past", async () => {
    const res = await t.request("POST", "/v1/keys", { projectId, expiresAt: iso(t.clock.now() - 1) });
    expectProblem(res, 400, "VALIDATION_ERROR");
  });
});

describe("PATCH /v1/keys/{id} under a maxLifetime", () => {
  it("answers 422 for an expiry past creation + maxLifetime, and for null, leaving the key as it was", async () => {
    const created = await createKey(t, { projectId });
    t.clock.advance(DAY_MS);
    const later = await t.request("PATCH", `/v1/keys/${created.id}`, {
      expiresAt: iso(Date.parse(created.createdAt as string) + 30 * DAY_MS + 1),
    });
    expect(expectProblem(later, 422, "POLICY_VIOLATION").errors?.[0]?.pointer).toBe("/expiresAt");
    const never = await t.request("PATCH", `/v1/keys/${created.id}`, { expiresAt: null, name: "x" });
    expect(expectProblem(never, 422, "POLICY_VIOLATION").errors?.[0]?.pointer).toBe("/expiresAt");
    expect((await t.request("GET", `/v1/keys/${created.id}`)).json()).toMatchObject({
      expiresAt: created.expiresAt,
      name: null,
    });
  });

  it("answers 409 for a revoked key before looking at the policy", async () => {
    const created = await createKey(t, { projectId });
    await t.request("POST", `/v1/keys/${created.id}/revoke`, {});
    expectProblem(await t.request("PATCH", `/v1/keys/${created.id}`, { expiresAt: null }), 409, "CONFLICT");
  });
});
