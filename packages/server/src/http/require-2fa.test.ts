import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createProject, expectProblem } from "../../test/support/api-helpers.js";
import {
  asSession,
  createUserDirectly,
  enrolTotp,
  login,
  type TestSession,
} from "../../test/support/session-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";

// The per-project `require2fa` setting, end to end through the auth hook: a user without two-factor
// authentication keeps no role in such a project, and must enrol first when nothing else would be left or when an
// instance-wide role would reach the project. Codes come from the test's own TOTP implementation (session-helpers).

let t: TestApp;
let projectA: string;
let projectB: string;

beforeEach(async () => {
  t = await createTestApp();
  projectA = await createProject(t, { name: "alpha", keyPrefix: "alpha" });
  projectB = await createProject(t, { name: "beta", keyPrefix: "beta" });
});
afterEach(async () => {
  await t.close();
});

/** Turns the setting on or off with the root token (admin tokens are not subject to it). */
async function setRequire2fa(projectId: string, on: boolean): Promise<void> {
  const res = await t.request("PATCH", `/v1/projects/${projectId}`, { require2fa: on });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().require2fa).toBe(on);
}

/** A developer without 2FA, logged in, bound instance-wide (null) or to these projects. */
async function developer(email: string, projectIds: string[] | null): Promise<TestSession> {
  await createUserDirectly(t, { email, role: "developer", projectIds });
  return login(t, email);
}

function createKeyIn(session: TestSession, projectId: string) {
  return asSession(t, session, "POST", "/v1/keys", { projectId, name: "k" });
}

/** The ids of the keys of a project the session (or, with null, the root token) lists. */
async function keyIdsIn(session: TestSession | null, projectId: string): Promise<string[]> {
  const url = `/v1/keys?projectId=${projectId}&limit=100`;
  const res = session === null ? await t.request("GET", url) : await asSession(t, session, "GET", url);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as Array<{ id: string }>).map((k) => k.id);
}

async function visibleProjects(session: TestSession): Promise<string[]> {
  const res = await asSession(t, session, "GET", "/v1/projects?limit=100");
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as Array<{ id: string }>).map((p) => p.id).sort();
}

describe("a project with require2fa", () => {
  it("leaves a developer without 2FA their role in B and nothing in A, until they enrol", async () => {
    const session = await developer("dev@example.com", [projectA, projectB]);
    // Before the setting, both projects work: the refusals below are the setting's doing.
    expect((await createKeyIn(session, projectA)).statusCode).toBe(201);
    expect(await visibleProjects(session)).toEqual([projectA, projectB].sort());

    await setRequire2fa(projectA, true);
    const inB = await createKeyIn(session, projectB);
    expect(inB.statusCode, inB.body).toBe(201);
    expect(inB.json().key).toMatch(/^beta_/);
    expectProblem(await createKeyIn(session, projectA), 404, "NOT_FOUND");
    expectProblem(await asSession(t, session, "GET", `/v1/projects/${projectA}`), 404, "NOT_FOUND");
    expect(await visibleProjects(session)).toEqual([projectB]);
    // Listing A's keys shows none of them (the key made above is there: the root token sees it).
    expect(await keyIdsIn(session, projectA)).toEqual([]);
    expect(await keyIdsIn(null, projectA)).toHaveLength(1);

    await enrolTotp(t, session);
    expect((await createKeyIn(session, projectA)).statusCode).toBe(201);
    expect(await visibleProjects(session)).toEqual([projectA, projectB].sort());
    expect(await keyIdsIn(session, projectA)).toHaveLength(2);
  });

  it("refuses a user whose every role is in projects requiring 2FA with TWO_FACTOR_REQUIRED, enrolling still open", async () => {
    const session = await developer("only-a@example.com", [projectA]);
    await setRequire2fa(projectA, true);
    expectProblem(await asSession(t, session, "GET", "/v1/projects"), 403, "TWO_FACTOR_REQUIRED");
    expectProblem(await createKeyIn(session, projectA), 403, "TWO_FACTOR_REQUIRED");
    await enrolTotp(t, session);
    expect((await createKeyIn(session, projectA)).statusCode).toBe(201);
  });

  it("refuses an instance-wide developer without 2FA once any project requires it; enrolling restores everything", async () => {
    const session = await developer("wide@example.com", null);
    expect((await asSession(t, session, "GET", "/v1/keys")).statusCode).toBe(200);

    await setRequire2fa(projectA, true);
    expectProblem(await asSession(t, session, "GET", "/v1/keys"), 403, "TWO_FACTOR_REQUIRED");
    // Not only project A: the instance-wide role is refused everywhere until the user enrols.
    expectProblem(await createKeyIn(session, projectB), 403, "TWO_FACTOR_REQUIRED");
    expectProblem(await asSession(t, session, "GET", "/v1/projects"), 403, "TWO_FACTOR_REQUIRED");

    // enrolTotp() asserts 200 for POST /v1/users/me/totp and for the confirmation with an independent code.
    await enrolTotp(t, session);
    expect((await asSession(t, session, "GET", "/v1/keys")).statusCode).toBe(200);
    expect((await createKeyIn(session, projectA)).statusCode).toBe(201);
    expect((await createKeyIn(session, projectB)).statusCode).toBe(201);
  });

  it("takes effect at once when turned on and off on this node, cache or not", async () => {
    const session = await developer("toggle@example.com", null);
    expect((await asSession(t, session, "GET", "/v1/keys")).statusCode).toBe(200);
    await setRequire2fa(projectB, true);
    expectProblem(await asSession(t, session, "GET", "/v1/keys"), 403, "TWO_FACTOR_REQUIRED");
    await setRequire2fa(projectB, false);
    expect((await asSession(t, session, "GET", "/v1/keys")).statusCode).toBe(200);
    // Created with the setting on: the new project counts from its first request.
    const created = await t.request("POST", "/v1/projects", { name: "gamma", require2fa: true });
    expect(created.statusCode, created.body).toBe(201);
    expectProblem(await asSession(t, session, "GET", "/v1/keys"), 403, "TWO_FACTOR_REQUIRED");
  });

  it("changes nothing for a user with 2FA, nor for admin tokens", async () => {
    const session = await developer("enrolled@example.com", [projectA]);
    await enrolTotp(t, session);
    await setRequire2fa(projectA, true);
    expect((await createKeyIn(session, projectA)).statusCode).toBe(201);
    expect((await t.request("POST", "/v1/keys", { projectId: projectA })).statusCode).toBe(201);
  });
});
