import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  expectValidationError,
  walkPages,
} from "../../../../../test/support/api-helpers.js";
import {
  asSession,
  createUserDirectly,
  login,
  PASSWORD,
  totpCode,
  userWithTotp,
} from "../../../../../test/support/session-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

const STEP_UP_WINDOW_MS = 5 * 60_000;

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

/** A user made with the root token and logged in, without a second factor. */
async function plainUser(email: string, role: string, projectIds: string[] | null = null) {
  const user = await createUserDirectly(t, { email, role, projectIds, name: `${role} person` });
  return { user, session: await login(t, email) };
}

/** A POST /v1/users body; `tag` keeps emails apart when one test creates several users of a role. */
function newUser(role: string, tag = "new") {
  return { email: `${role}.${tag}@example.com`, name: "New Person", password: PASSWORD, role };
}

describe("POST /v1/users", () => {
  it("an owner's session creates a user: 201 with the user, never a password hash; the user can log in", async () => {
    const { session } = await userWithTotp(t, "owner@example.com", "owner");
    const res = await asSession(t, session, "POST", "/v1/users", {
      email: "Ada@Example.com",
      name: "Ada Lovelace",
      password: PASSWORD,
      role: "developer",
      projectIds: [projectA],
    });
    expect(res.statusCode, res.body).toBe(201);
    const now = new Date(t.clock.now()).toISOString();
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: "ada@example.com",
      name: "Ada Lovelace",
      roles: [{ role: "developer", projectId: projectA }],
      twoFactorEnabled: false,
      hasPassword: true,
      createdBy: session.userId,
      createdAt: now,
      updatedAt: now,
    });
    expect(res.body).not.toContain(PASSWORD);
    expect(res.body).not.toContain("argon2");
    await login(t, "ada@example.com");
  });

  it("needs step-up from a session: refused once the second factor is over 5 minutes old", async () => {
    const { session, secret } = await userWithTotp(t, "owner@example.com", "owner");
    t.clock.advance(STEP_UP_WINDOW_MS + 1);
    expectProblem(
      await asSession(t, session, "POST", "/v1/users", newUser("viewer")),
      403,
      "STEP_UP_REQUIRED",
    );
    const stepUp = await asSession(t, session, "POST", "/v1/auth/step-up", {
      code: totpCode(secret, t.clock.now()),
    });
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    expect((await asSession(t, session, "POST", "/v1/users", newUser("viewer"))).statusCode).toBe(201);
  });

  it("an admin cannot grant the owner role (403) but can create a developer", async () => {
    const { session } = await userWithTotp(t, "admin@example.com", "admin");
    const owner = await asSession(t, session, "POST", "/v1/users", newUser("owner"));
    expectProblem(owner, 403, "FORBIDDEN");
    expect((await asSession(t, session, "POST", "/v1/users", newUser("developer"))).statusCode).toBe(201);
  });

  it("a developer's, an auditor's or a viewer's session cannot create users (403)", async () => {
    for (const role of ["developer", "auditor", "viewer"]) {
      const { session } = await userWithTotp(t, `${role}@example.com`, role);
      expectProblem(
        await asSession(t, session, "POST", "/v1/users", newUser("viewer", role)),
        403,
        "FORBIDDEN",
      );
    }
  });

  it("refuses a weak password, a bad role and a taken email", async () => {
    expectValidationError(
      await t.request("POST", "/v1/users", { ...newUser("viewer"), password: "short pass" }),
    );
    expectValidationError(
      await t.request("POST", "/v1/users", { ...newUser("viewer"), password: "password" }),
    );
    expectValidationError(await t.request("POST", "/v1/users", { ...newUser("viewer"), role: "root" }));
    expect((await t.request("POST", "/v1/users", newUser("viewer"))).statusCode).toBe(201);
    expectProblem(await t.request("POST", "/v1/users", newUser("viewer")), 409, "CONFLICT");
  });

  it("binds a role to existing projects only", async () => {
    const res = await t.request("POST", "/v1/users", { ...newUser("viewer"), projectIds: ["proj_missing"] });
    expect(expectValidationError(res)).toEqual(["/projectIds"]);
  });
});

describe("GET /v1/users, GET /v1/users/{id}, GET /v1/users/me", () => {
  it("an auditor reads users; a viewer and a developer cannot (403); everyone reads their own account", async () => {
    const { user: dev, session: developer } = await plainUser("dev@example.com", "developer");
    const { session: auditor } = await plainUser("audit@example.com", "auditor");
    const { session: viewer } = await plainUser("view@example.com", "viewer");

    const list = await asSession(t, auditor, "GET", "/v1/users");
    expect(list.statusCode, list.body).toBe(200);
    // Listed in id order; ids made within one millisecond of the test clock order randomly, so compare as sets.
    expect((list.json() as { items: Array<{ email: string }> }).items.map((u) => u.email).sort()).toEqual([
      "audit@example.com",
      "dev@example.com",
      "view@example.com",
    ]);
    const one = await asSession(t, auditor, "GET", `/v1/users/${dev.id}`);
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ id: dev.id, email: "dev@example.com" });

    expectProblem(await asSession(t, viewer, "GET", "/v1/users"), 403, "FORBIDDEN");
    expectProblem(await asSession(t, developer, "GET", `/v1/users/${dev.id}`), 403, "FORBIDDEN");

    const me = await asSession(t, developer, "GET", "/v1/users/me");
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ id: dev.id, roles: [{ role: "developer", projectId: null }] });
  });

  it("pages with limit and nextCursor", async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      await createUserDirectly(t, { email: `user${n}@example.com`, role: "viewer", name: `User ${n}` });
    }
    const pages = await walkPages(t, "/v1/users?limit=2");
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(new Set(pages.flat()).size).toBe(5);
  });

  it("404s for an unknown id, and for a user outside a project-limited caller's projects", async () => {
    expectProblem(await t.request("GET", "/v1/users/usr_missing"), 404, "NOT_FOUND");
    const outsider = await createUserDirectly(t, {
      email: "b@example.com",
      role: "viewer",
      projectIds: [projectB],
    });
    const insider = await createUserDirectly(t, {
      email: "a@example.com",
      role: "viewer",
      projectIds: [projectA],
    });
    const { session } = await plainUser("auditor.a@example.com", "auditor", [projectA]);
    expectProblem(await asSession(t, session, "GET", `/v1/users/${outsider.id}`), 404, "NOT_FOUND");
    expect((await asSession(t, session, "GET", `/v1/users/${insider.id}`)).statusCode).toBe(200);
    const list = await asSession(t, session, "GET", "/v1/users");
    const emails = (list.json() as { items: Array<{ email: string }> }).items.map((u) => u.email);
    expect(emails).toContain("a@example.com");
    expect(emails).not.toContain("b@example.com");
  });
});

describe("PATCH /v1/users/{id}", () => {
  it("renames without step-up; a role change needs step-up; projectIds without role is 400", async () => {
    const target = await createUserDirectly(t, { email: "dev@example.com", role: "developer" });
    const { session, secret } = await userWithTotp(t, "owner@example.com", "owner");
    t.clock.advance(STEP_UP_WINDOW_MS + 1);

    const renamed = await asSession(t, session, "PATCH", `/v1/users/${target.id}`, { name: "Dee Veloper" });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: "Dee Veloper", roles: [{ role: "developer" }] });

    const roleChange = { role: "auditor", projectIds: [projectA] };
    expectProblem(
      await asSession(t, session, "PATCH", `/v1/users/${target.id}`, roleChange),
      403,
      "STEP_UP_REQUIRED",
    );
    const stepUp = await asSession(t, session, "POST", "/v1/auth/step-up", {
      code: totpCode(secret, t.clock.now()),
    });
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    const changed = await asSession(t, session, "PATCH", `/v1/users/${target.id}`, roleChange);
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ roles: [{ role: "auditor", projectId: projectA }] });

    expect(
      expectValidationError(
        await asSession(t, session, "PATCH", `/v1/users/${target.id}`, { projectIds: [projectB] }),
      ),
    ).toEqual(["/projectIds"]);
  });

  it("an admin cannot change an owner or make someone owner (403)", async () => {
    const owner = await createUserDirectly(t, { email: "owner@example.com", role: "owner" });
    const viewer = await createUserDirectly(t, { email: "view@example.com", role: "viewer" });
    const { session } = await userWithTotp(t, "admin@example.com", "admin");
    expectProblem(
      await asSession(t, session, "PATCH", `/v1/users/${owner.id}`, { name: "Demoted" }),
      403,
      "FORBIDDEN",
    );
    expectProblem(
      await asSession(t, session, "PATCH", `/v1/users/${viewer.id}`, { role: "owner" }),
      403,
      "FORBIDDEN",
    );
    expectProblem(await asSession(t, session, "DELETE", `/v1/users/${owner.id}`), 403, "FORBIDDEN");
  });
});

describe("DELETE /v1/users/{id}", () => {
  it("deletes the user, returns it, and ends its sessions", async () => {
    const { user, session: victim } = await plainUser("dev@example.com", "developer");
    const res = await t.request("DELETE", `/v1/users/${user.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: user.id, email: "dev@example.com" });
    expectProblem(await asSession(t, victim, "GET", "/v1/users/me"), 401, "UNAUTHORIZED");
    expectProblem(await t.request("GET", `/v1/users/${user.id}`), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", `/v1/users/${user.id}`), 404, "NOT_FOUND");
  });

  it("nobody deletes their own account (409)", async () => {
    const { session } = await userWithTotp(t, "owner@example.com", "owner");
    expectProblem(await asSession(t, session, "DELETE", `/v1/users/${session.userId}`), 409, "CONFLICT");
  });
});

describe("role bindings limit a session to its projects", () => {
  it("a developer bound to project A creates keys in A, not in B", async () => {
    const { session } = await plainUser("dev@example.com", "developer", [projectA]);
    const inA = await asSession(t, session, "POST", "/v1/keys", { projectId: projectA, name: "a" });
    expect(inA.statusCode, inA.body).toBe(201);
    const inB = await asSession(t, session, "POST", "/v1/keys", { projectId: projectB, name: "b" });
    expectProblem(inB, 404, "NOT_FOUND");

    const keyInB = await createKey(t, { projectId: projectB });
    expectProblem(await asSession(t, session, "GET", `/v1/keys/${keyInB.id}`), 404, "NOT_FOUND");
    // Its role grants no secrets or token minting anywhere.
    expectProblem(await asSession(t, session, "GET", "/v1/secrets"), 403, "FORBIDDEN");
    expectProblem(
      await asSession(t, session, "POST", "/v1/tokens", { name: "mine", permissions: ["keys:read"] }),
      403,
      "FORBIDDEN",
    );
  });

  it("an admin bound to project A cannot grant an instance-wide role", async () => {
    const { session } = await userWithTotp(t, "admin.a@example.com", "admin", [projectA]);
    expectProblem(await asSession(t, session, "POST", "/v1/users", newUser("viewer")), 403, "FORBIDDEN");
    const inA = await asSession(t, session, "POST", "/v1/users", {
      ...newUser("viewer"),
      projectIds: [projectA],
    });
    expect(inA.statusCode, inA.body).toBe(201);
  });
});
