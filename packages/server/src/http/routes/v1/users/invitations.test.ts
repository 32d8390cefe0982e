import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createProject,
  expectProblem,
  expectValidationError,
} from "../../../../../test/support/api-helpers.js";
import {
  asSession,
  createUserDirectly,
  login,
  PASSWORD,
  postLogin,
  userWithTotp,
} from "../../../../../test/support/session-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

const HOUR_MS = 3_600_000;
const INVALID = "This invitation is not valid or has expired.";

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

interface Invited {
  invitation: { id: string; email: string; role: string; projectId: string | null; expiresAt: string };
  token: string;
  acceptPath: string;
}

/** POST /v1/users/invitations with the root token, asserting 201. */
async function invite(body: Record<string, unknown>): Promise<Invited> {
  const res = await t.request("POST", "/v1/users/invitations", body);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as Invited;
}

/** POST /v1/auth/accept-invitation without credentials, from `ip`. */
function accept(token: string, body: Record<string, unknown> = {}, ip = "203.0.113.20") {
  return t.app.inject({
    method: "POST",
    url: "/v1/auth/accept-invitation",
    remoteAddress: ip,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify({ token, name: "Grace Hopper", password: PASSWORD, ...body }),
  });
}

describe("POST /v1/users/invitations → POST /v1/auth/accept-invitation", () => {
  it("an owner's session invites; the person accepts without credentials and logs in", async () => {
    const owner = (await userWithTotp(t, "owner@example.com", "owner")).session;
    const res = await asSession(t, owner, "POST", "/v1/users/invitations", {
      email: "Grace@Example.com",
      role: "developer",
      projectIds: [projectA],
    });
    expect(res.statusCode, res.body).toBe(201);
    const now = t.clock.now();
    const body = res.json() as Invited;
    expect(body).toEqual({
      invitation: {
        id: expect.stringMatching(/^inv_/),
        email: "grace@example.com",
        role: "developer",
        projectId: projectA,
        createdBy: owner.userId,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 72 * HOUR_MS).toISOString(),
        acceptedAt: null,
      },
      token: expect.stringMatching(/^kwi_[0-9A-Za-z]+$/),
      acceptPath: "/v1/auth/accept-invitation",
    });

    const accepted = await accept(body.token);
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toEqual({
      user: {
        id: expect.stringMatching(/^usr_/),
        email: "grace@example.com",
        name: "Grace Hopper",
        roles: [{ role: "developer", projectId: projectA }],
        twoFactorEnabled: false,
        hasPassword: true,
        createdBy: owner.userId,
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
      },
    });
    expect(accepted.body).not.toContain(body.token);
    expect(accepted.body).not.toContain(PASSWORD);

    const grace = await login(t, "grace@example.com");
    const keys = await asSession(t, grace, "POST", "/v1/keys", { projectId: projectA });
    expect(keys.statusCode, keys.body).toBe(201);
  });

  it("an accepted invitation is refused the second time, with the same answer as an unknown one", async () => {
    const { token } = await invite({ email: "grace@example.com", role: "viewer" });
    expect((await accept(token)).statusCode).toBe(201);
    const again = await accept(token, { name: "Somebody Else" });
    const body = expectProblem(again, 401, "UNAUTHORIZED");
    expect(body.detail).toBe(INVALID);
    expect(again.body).not.toContain(token);
    const unknown = await accept(`kwi_${"A".repeat(49)}`);
    expect(expectProblem(unknown, 401, "UNAUTHORIZED").detail).toBe(INVALID);
    const users = await t.request("GET", "/v1/users");
    expect((users.json() as { items: unknown[] }).items).toHaveLength(1);
  });

  it("an expired invitation is refused; expiresInHours sets the expiry", async () => {
    const { token, invitation } = await invite({
      email: "grace@example.com",
      role: "viewer",
      expiresInHours: 2,
    });
    expect(Date.parse(invitation.expiresAt) - t.clock.now()).toBe(2 * HOUR_MS);
    t.clock.advance(2 * HOUR_MS);
    const expired = await accept(token);
    expect(expectProblem(expired, 401, "UNAUTHORIZED").detail).toBe(INVALID);
    expect(expired.body).not.toContain(token);
    expectProblem(
      await postLogin(t, { email: "grace@example.com", password: PASSWORD }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("refuses a weak password naming the rule, and the invitation still works after", async () => {
    const { token } = await invite({ email: "grace@example.com", role: "viewer" });
    expect(expectValidationError(await accept(token, { password: "short" }))).toEqual(["/password"]);
    expect(expectValidationError(await accept(token, { password: "grace is my own password" }))).toEqual([
      "/password",
    ]);
    expect((await accept(token)).statusCode).toBe(201);
  });

  it("validates the bodies: expiresInHours within 1..720, one project at most, no unknown fields", async () => {
    for (const body of [
      { email: "a@example.com", role: "viewer", expiresInHours: 721 },
      { email: "a@example.com", role: "viewer", expiresInHours: 0 },
      { email: "a@example.com", role: "viewer", projectIds: [projectA, projectB] },
      { email: "a@example.com", role: "sorcerer" },
      { email: "a@example.com", role: "viewer", password: PASSWORD },
    ]) {
      expectValidationError(await t.request("POST", "/v1/users/invitations", body));
    }
    expectValidationError(await accept("kwi_x", { email: "mallory@example.com" }));
    expectValidationError(await accept(""));
  });

  it("409 when a user has the email already", async () => {
    await createUserDirectly(t, { email: "grace@example.com", role: "viewer" });
    expectProblem(
      await t.request("POST", "/v1/users/invitations", { email: "grace@example.com", role: "viewer" }),
      409,
      "CONFLICT",
    );
  });
});

describe("who may invite", () => {
  it("an admin cannot invite an owner (403) but can invite an admin", async () => {
    const admin = (await userWithTotp(t, "admin@example.com", "admin")).session;
    expectProblem(
      await asSession(t, admin, "POST", "/v1/users/invitations", { email: "o@example.com", role: "owner" }),
      403,
      "FORBIDDEN",
    );
    const res = await asSession(t, admin, "POST", "/v1/users/invitations", {
      email: "a2@example.com",
      role: "admin",
    });
    expect(res.statusCode, res.body).toBe(201);
  });

  it("an admin bound to project A invites into A only", async () => {
    const admin = (await userWithTotp(t, "admin.a@example.com", "admin", [projectA])).session;
    const intoA = await asSession(t, admin, "POST", "/v1/users/invitations", {
      email: "dev.a@example.com",
      role: "developer",
      projectIds: [projectA],
    });
    expect(intoA.statusCode, intoA.body).toBe(201);
    expect((intoA.json() as Invited).invitation.projectId).toBe(projectA);
    expectValidationError(
      await asSession(t, admin, "POST", "/v1/users/invitations", {
        email: "dev.b@example.com",
        role: "developer",
        projectIds: [projectB],
      }),
    );
    expectProblem(
      await asSession(t, admin, "POST", "/v1/users/invitations", {
        email: "dev.all@example.com",
        role: "developer",
      }),
      403,
      "FORBIDDEN",
    );
  });

  it("a developer's session cannot invite (403); without credentials 401", async () => {
    const developer = (await userWithTotp(t, "dev@example.com", "developer")).session;
    expectProblem(
      await asSession(t, developer, "POST", "/v1/users/invitations", {
        email: "x@example.com",
        role: "viewer",
      }),
      403,
      "FORBIDDEN",
    );
    expectProblem(
      await t.request("POST", "/v1/users/invitations", { email: "x@example.com", role: "viewer" }, null),
      401,
      "UNAUTHORIZED",
    );
  });

  it("needs step-up from a session whose second factor is over 5 minutes old", async () => {
    const owner = (await userWithTotp(t, "owner@example.com", "owner")).session;
    t.clock.advance(5 * 60_000 + 1);
    expectProblem(
      await asSession(t, owner, "POST", "/v1/users/invitations", { email: "x@example.com", role: "viewer" }),
      403,
      "STEP_UP_REQUIRED",
    );
  });
});

describe("accept-invitation attempts", () => {
  it("are limited per source address like logins: 429 with Retry-After, other addresses unaffected", async () => {
    const { token } = await invite({ email: "grace@example.com", role: "viewer" });
    const perAddress = t.instance.auth.policy.attemptsPerAddress;
    for (let i = 0; i < perAddress; i++) {
      expectProblem(await accept(`kwi_${"B".repeat(49)}`), 401, "UNAUTHORIZED");
    }
    const limited = await accept(token);
    expectProblem(limited, 429, "TOO_MANY_LOGIN_ATTEMPTS");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.body).not.toContain(token);
    expect((await accept(token, {}, "198.51.100.7")).statusCode).toBe(201);
  });
});
