import { generateKey, parseKey } from "@keyward/core/key-format.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { createUserDirectly, PASSWORD, rootPrincipal } from "../../test/support/session-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import type { Principal } from "./principal.js";
import { invitationDigest } from "./user-service.js";

const HOUR_MS = 3_600_000;
const ORIGIN = { sourceIp: "203.0.113.9", userAgent: "test", requestId: "req_test" };

let t: TestApp;
let root: Principal;
let projectA: string;
let projectB: string;

beforeEach(async () => {
  t = await createTestApp();
  root = await rootPrincipal(t);
  projectA = (await t.instance.projects.createProject(root, { name: "alpha" })).id;
  projectB = (await t.instance.projects.createProject(root, { name: "beta" })).id;
});
afterEach(async () => {
  await t.close();
});

/** An admin token's principal limited to some projects, holding every permission there. */
function limitedTo(projectIds: string[]): Principal {
  return { tokenId: "tok_limited", tokenName: "limited", permissions: ["*"], projectIds };
}

function accept(token: string, overrides: { name?: string; password?: string } = {}) {
  return t.instance.users.acceptInvitation({
    token,
    name: overrides.name ?? "Grace Hopper",
    password: overrides.password ?? PASSWORD,
    origin: ORIGIN,
  });
}

async function auditActions(): Promise<{ action: string; actor: { id: string }; diff: unknown }[]> {
  return t.instance.stores.audit.listAuditEntries({ order: "oldest", limit: 100 });
}

describe("UserService.invite()", () => {
  it("returns a kwi_ token shown once: the store keeps only its digest, the audit entry never the token", async () => {
    const { invitation, token } = await t.instance.users.invite(root, {
      email: " Grace@Example.com ",
      role: "developer",
      projectIds: [projectA],
    });
    expect(parseKey(token)?.prefix).toBe("kwi");
    expect(invitation).toEqual({
      id: expect.stringMatching(/^inv_/),
      email: "grace@example.com",
      role: "developer",
      projectId: projectA,
      createdBy: root.tokenId,
      createdAt: t.clock.now(),
      expiresAt: t.clock.now() + 72 * HOUR_MS,
      acceptedAt: null,
    });
    expect(await t.instance.stores.users.findInvitationByDigest(invitationDigest(token))).toEqual(invitation);
    const entries = await auditActions();
    const created = entries.find((e) => e.action === "invitation.created");
    expect(created?.diff).toEqual({
      email: "grace@example.com",
      role: "developer",
      projectId: projectA,
      expiresAt: invitation.expiresAt,
    });
    expect(JSON.stringify(entries)).not.toContain(token);
    expect(JSON.stringify(entries)).not.toContain(token.slice(4, 20));
  });

  it("takes expiresInHours from 1 to 720 whole hours, and refuses anything else", async () => {
    const longest = await t.instance.users.invite(root, {
      email: "a@example.com",
      role: "viewer",
      expiresInHours: 720,
    });
    expect(longest.invitation.expiresAt - longest.invitation.createdAt).toBe(720 * HOUR_MS);
    for (const expiresInHours of [0, 721, 1.5, -1]) {
      const error = await expectKeywardError(
        t.instance.users.invite(root, { email: "b@example.com", role: "viewer", expiresInHours }),
        "VALIDATION_ERROR",
      );
      expect(error.errors?.[0]?.pointer).toBe("/expiresInHours");
    }
  });

  it("follows the role-granting rules of createUser()", async () => {
    const admin = { tokenId: "tok_admin", permissions: ["users:write"], projectIds: null };
    await expectKeywardError(
      t.instance.users.invite(admin, { email: "o@example.com", role: "owner" }),
      "FORBIDDEN",
    );
    await expectKeywardError(
      t.instance.users.invite(
        { ...admin, permissions: ["users:read"] },
        { email: "v@example.com", role: "viewer" },
      ),
      "FORBIDDEN",
    );
    const limited = limitedTo([projectA]);
    await expectKeywardError(
      t.instance.users.invite(limited, { email: "w@example.com", role: "viewer" }),
      "FORBIDDEN",
    );
    await expectKeywardError(
      t.instance.users.invite(limited, { email: "w@example.com", role: "viewer", projectIds: [projectB] }),
      "VALIDATION_ERROR",
    );
    const inA = await t.instance.users.invite(limited, {
      email: "w@example.com",
      role: "viewer",
      projectIds: [projectA],
    });
    expect(inA.invitation.projectId).toBe(projectA);
  });

  it("binds one project only, and refuses an email a user has already", async () => {
    const error = await expectKeywardError(
      t.instance.users.invite(root, {
        email: "x@example.com",
        role: "viewer",
        projectIds: [projectA, projectB],
      }),
      "VALIDATION_ERROR",
    );
    expect(error.errors?.[0]?.pointer).toBe("/projectIds");
    // The same project twice is one project.
    await t.instance.users.invite(root, {
      email: "x@example.com",
      role: "viewer",
      projectIds: [projectA, projectA],
    });
    await createUserDirectly(t, { email: "taken@example.com", role: "viewer" });
    await expectKeywardError(
      t.instance.users.invite(root, { email: "TAKEN@example.com", role: "viewer" }),
      "CONFLICT",
    );
  });

  it("needs step-up from a user's session", async () => {
    const owner = await createUserDirectly(t, { email: "owner@example.com", role: "owner" });
    const session: Principal = {
      tokenId: owner.id,
      user: {
        id: owner.id,
        email: owner.email,
        sessionId: "ses_x",
        secondFactorAt: null,
        twoFactorEnabled: true,
        isOwner: true,
      },
      permissions: ["*"],
      projectIds: null,
    };
    await expectKeywardError(
      t.instance.users.invite(session, { email: "s@example.com", role: "viewer" }),
      "STEP_UP_REQUIRED",
    );
    const fresh = {
      ...session,
      user: { ...(session.user as NonNullable<Principal["user"]>), secondFactorAt: t.clock.now() },
    };
    expect((await t.instance.users.invite(fresh, { email: "s@example.com", role: "viewer" })).token).toMatch(
      /^kwi_/,
    );
  });
});

describe("UserService.acceptInvitation()", () => {
  it("creates the invited user with the invited email and role, and the user can log in", async () => {
    const { invitation, token } = await t.instance.users.invite(root, {
      email: "grace@example.com",
      role: "developer",
      projectIds: [projectA],
    });
    t.clock.advance(HOUR_MS);
    const user = await accept(token);
    expect(user).toMatchObject({
      id: expect.stringMatching(/^usr_/),
      email: "grace@example.com",
      name: "Grace Hopper",
      roles: [{ role: "developer", projectId: projectA }],
      twoFactorEnabled: false,
      hasPassword: true,
      createdBy: root.tokenId,
      createdAt: t.clock.now(),
    });
    expect(await t.instance.users.getUser(root, user.id)).toEqual(user);
    const stored = await t.instance.stores.users.findInvitationByDigest(invitationDigest(token));
    expect(stored?.acceptedAt).toBe(t.clock.now());
    const login = await t.instance.auth.login({
      email: "grace@example.com",
      password: PASSWORD,
      kind: "browser",
      origin: ORIGIN,
    });
    expect(login.user.id).toBe(user.id);
    const accepted = (await auditActions()).find((e) => e.action === "invitation.accepted");
    expect(accepted?.actor.id).toBe(user.id);
    expect(accepted?.diff).toMatchObject({ invitationId: invitation.id, email: "grace@example.com" });
    expect(JSON.stringify(accepted)).not.toContain(PASSWORD);
  });

  it("works once: a second acceptance gets the generic refusal and creates nobody", async () => {
    const { token } = await t.instance.users.invite(root, { email: "grace@example.com", role: "viewer" });
    await accept(token);
    const error = await expectKeywardError(accept(token, { name: "Someone Else" }), "UNAUTHORIZED");
    expect(error.message).toBe("This invitation is not valid or has expired.");
    expect(await t.instance.stores.users.countUsers()).toBe(1);
  });

  it("expires: accepted just before expiresAt, refused at it (with an injected clock)", async () => {
    const early = await t.instance.users.invite(root, { email: "early@example.com", role: "viewer" });
    const late = await t.instance.users.invite(root, {
      email: "late@example.com",
      role: "viewer",
      expiresInHours: 1,
    });
    t.clock.advance(HOUR_MS - 1);
    expect((await accept(early.token)).email).toBe("early@example.com");
    t.clock.advance(1);
    const error = await expectKeywardError(accept(late.token), "UNAUTHORIZED");
    expect(error.message).toBe("This invitation is not valid or has expired.");
    expect(await t.instance.stores.users.countUsers()).toBe(1);
  });

  it("gives an unknown, malformed or other kind of secret the same answer, never quoting it", async () => {
    const { token } = await t.instance.users.invite(root, { email: "grace@example.com", role: "viewer" });
    const guesses = [
      generateKey({ prefix: "kwi" }),
      generateKey({ prefix: "kws" }),
      `kws${token.slice(3)}`,
      token.slice(0, -1),
      "not a token",
    ];
    for (const guess of guesses) {
      const error = await expectKeywardError(accept(guess), "UNAUTHORIZED");
      expect(error.message).toBe("This invitation is not valid or has expired.");
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain(guess);
    }
    expect(await t.instance.stores.users.countUsers()).toBe(0);
  });

  it("cannot bind another email: the account's email is the invitation's, whatever the request carries", async () => {
    const { token } = await t.instance.users.invite(root, { email: "grace@example.com", role: "admin" });
    const user = await t.instance.users.acceptInvitation({
      token,
      name: "Mallory",
      password: PASSWORD,
      // Not part of the input type: a caller smuggling it in changes nothing.
      ...({ email: "mallory@example.com", role: "owner" } as object),
    } as Parameters<typeof t.instance.users.acceptInvitation>[0]);
    expect(user.email).toBe("grace@example.com");
    expect(user.roles).toEqual([{ role: "admin", projectId: null }]);
  });

  it("checks the password policy against the invited email and the name given; a refusal leaves it usable", async () => {
    const { token } = await t.instance.users.invite(root, {
      email: "gracehopper@example.com",
      role: "viewer",
    });
    const short = await expectKeywardError(accept(token, { password: "fourteen chars" }), "VALIDATION_ERROR");
    expect(short.errors?.map((e) => e.pointer)).toEqual(["/password"]);
    expect(short.message).toContain("15");
    const withEmail = await expectKeywardError(
      accept(token, { password: "my gracehopper passphrase" }),
      "VALIDATION_ERROR",
    );
    expect(withEmail.message).toContain("email");
    const withName = await expectKeywardError(
      accept(token, { name: "Marmaduke Smith", password: "marmaduke orbit lantern" }),
      "VALIDATION_ERROR",
    );
    expect(withName.message).toContain("name");
    await expectKeywardError(accept(token, { name: "   " }), "VALIDATION_ERROR");
    expect((await accept(token)).email).toBe("gracehopper@example.com");
  });

  it("counts attempts per source address with the login limits (TOO_MANY_LOGIN_ATTEMPTS)", async () => {
    const perAddress = t.instance.auth.policy.attemptsPerAddress;
    for (let i = 0; i < perAddress; i++) {
      await expectKeywardError(accept(generateKey({ prefix: "kwi" })), "UNAUTHORIZED");
    }
    const { token } = await t.instance.users.invite(root, { email: "grace@example.com", role: "viewer" });
    const limited = await expectKeywardError(accept(token), "TOO_MANY_LOGIN_ATTEMPTS");
    expect(limited.message).not.toContain(token);
    // Another address is not held back.
    const user = await t.instance.users.acceptInvitation({
      token,
      name: "Grace Hopper",
      password: PASSWORD,
      origin: { ...ORIGIN, sourceIp: "198.51.100.1" },
    });
    expect(user.email).toBe("grace@example.com");
  });
});
