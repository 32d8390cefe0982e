import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createProject, expectProblem, rawResponse } from "../../../../../test/support/api-helpers.js";
import {
  asSession,
  createUserDirectly,
  enrolTotp,
  login,
  PASSWORD,
  postLogin,
  sessionOf,
  type TestSession,
  totpCode,
} from "../../../../../test/support/session-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import { SESSION_COOKIE } from "../../../auth.js";

const OWNER = "owner@example.com";
const STEP_MS = 30_000;

let t: TestApp;

beforeEach(async () => {
  // A fresh app per test: every login counts against the per-account and per-address attempt limits.
  t = await createTestApp();
  await createUserDirectly(t, { email: OWNER, role: "owner", name: "Olive Owner" });
});
afterEach(async () => {
  await t.close();
});

/** Logs in, enrols TOTP and moves past the confirming code's time step, so the next code is a new one. */
async function ownerWithTotp(): Promise<{ session: TestSession; secret: string; recoveryCodes: string[] }> {
  const session = await login(t, OWNER);
  const enrolled = await enrolTotp(t, session);
  t.clock.advance(STEP_MS);
  return { session, secret: enrolled.secret, recoveryCodes: enrolled.recoveryCodes };
}

describe("POST /v1/auth/login (browser)", () => {
  it("sets the __Host- session cookie with every attribute and returns the user, session and CSRF token", async () => {
    const res = await postLogin(t, { email: OWNER, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(
      new RegExp(
        `^${SESSION_COOKIE}=kws_[0-9A-Za-z]+; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200$`,
      ),
    );
    const body = res.json() as Record<string, Record<string, unknown>>;
    expect(Object.keys(body).sort()).toEqual(["csrfToken", "session", "user"]);
    expect(body.user).toMatchObject({ email: OWNER, twoFactorEnabled: false, roles: [{ role: "owner" }] });
    const now = t.clock.now();
    expect(body.session).toEqual({
      id: expect.stringMatching(/^ses_/),
      kind: "browser",
      createdAt: new Date(now).toISOString(),
      lastSeenAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 12 * 3_600_000).toISOString(),
      secondFactorAt: null,
      revokedAt: null,
      sourceIp: "127.0.0.1",
      userAgent: "lightMyRequest",
      current: true,
    });
    expect(res.headers["cache-control"]).toBe("no-store");
    // Neither the password nor the session secret is in the body.
    const { secret } = sessionOf(res);
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain(PASSWORD);
  });

  it("accepts the email in any case and with surrounding spaces", async () => {
    await login(t, "  Owner@Example.COM ");
  });

  it("answers a wrong password and an unknown email with the same 401 UNAUTHORIZED", async () => {
    const wrong = await postLogin(t, { email: OWNER, password: "not the password at all" });
    const unknown = await postLogin(t, { email: "nobody@example.com", password: PASSWORD });
    const a = expectProblem(wrong, 401, "UNAUTHORIZED");
    const b = expectProblem(unknown, 401, "UNAUTHORIZED");
    expect({ ...a, requestId: "" }).toEqual({ ...b, requestId: "" });
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    expect(wrong.body).not.toContain("not the password at all");
    expect(unknown.body).not.toContain(PASSWORD);
  });

  it("refuses a body without a password, or with unknown fields, with 400", async () => {
    expectProblem(await postLogin(t, { email: OWNER }), 400, "VALIDATION_ERROR");
    expectProblem(await postLogin(t, { email: OWNER, password: "" }), 400, "VALIDATION_ERROR");
    expectProblem(
      await postLogin(t, { email: OWNER, password: PASSWORD, remember: true }),
      400,
      "VALIDATION_ERROR",
    );
    expectProblem(
      await postLogin(t, { email: OWNER, password: PASSWORD, client: "mobile" }),
      400,
      "VALIDATION_ERROR",
    );
  });

  it("answers 429 TOO_MANY_LOGIN_ATTEMPTS with Retry-After after too many attempts, and lets the account in again once the window has slid past", async () => {
    const limit = t.instance.auth.policy.attemptsPerAccount;
    for (let i = 0; i < limit; i++) {
      expectProblem(
        await postLogin(t, { email: OWNER, password: `wrong password ${i}` }),
        401,
        "UNAUTHORIZED",
      );
    }
    // Locked: even the right password is refused, without saying whether it was right.
    const locked = await postLogin(t, { email: OWNER, password: PASSWORD });
    expectProblem(locked, 429, "TOO_MANY_LOGIN_ATTEMPTS");
    const retryAfter = Number(locked.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    // At most two windows: the sliding window weighs the attempts of the window that just ended during the next.
    expect(retryAfter).toBeLessThanOrEqual((2 * t.instance.auth.policy.attemptWindowMs) / 1000);
    expect(locked.headers["set-cookie"]).toBeUndefined();

    // Retry-After is never too short: waiting exactly that long lets the right password in.
    t.clock.advance(retryAfter * 1000);
    await login(t, OWNER);
  });
});

describe("cookie-authenticated requests", () => {
  it("work for GET without a CSRF token", async () => {
    const session = await login(t, OWNER);
    const res = await asSession(t, session, "GET", "/v1/users/me", undefined, { csrf: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: session.userId, email: OWNER });
    const keys = await asSession(t, session, "GET", "/v1/keys", undefined, { csrf: false });
    expect(keys.statusCode, keys.body).toBe(200);
  });

  it("refuse a change without the CSRF token, or with another session's, with 403 CSRF_TOKEN_INVALID", async () => {
    const session = await login(t, OWNER);
    const other = await login(t, OWNER);
    const body = { name: "csrf-test" };
    expectProblem(
      await asSession(t, session, "POST", "/v1/projects", body, { csrf: false }),
      403,
      "CSRF_TOKEN_INVALID",
    );
    expectProblem(
      await asSession(t, { ...session, csrfToken: other.csrfToken }, "POST", "/v1/projects", body),
      403,
      "CSRF_TOKEN_INVALID",
    );
    const ok = await asSession(t, session, "POST", "/v1/projects", body);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it("end at the idle timeout", async () => {
    const session = await login(t, OWNER);
    t.clock.advance(t.instance.auth.policy.idleTimeoutMs);
    expectProblem(await asSession(t, session, "GET", "/v1/users/me"), 401, "UNAUTHORIZED");
  });
});

describe("POST /v1/auth/logout", () => {
  it("ends the session (the next request is 401) and clears the cookie", async () => {
    const session = await login(t, OWNER);
    const res = await asSession(t, session, "POST", "/v1/auth/logout");
    expect(res.statusCode, res.body).toBe(204);
    expect(res.headers["set-cookie"]).toBe(
      `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`,
    );
    expectProblem(await asSession(t, session, "GET", "/v1/users/me"), 401, "UNAUTHORIZED");
  });

  it("needs the CSRF token (a cross-site page cannot log the user out)", async () => {
    const session = await login(t, OWNER);
    expectProblem(
      await asSession(t, session, "POST", "/v1/auth/logout", undefined, { csrf: false }),
      403,
      "CSRF_TOKEN_INVALID",
    );
    expect((await asSession(t, session, "GET", "/v1/users/me")).statusCode).toBe(200);
  });

  it("is refused to an admin token (403), which has no session", async () => {
    expectProblem(await t.request("POST", "/v1/auth/logout"), 403, "FORBIDDEN");
  });
});

describe("POST /v1/auth/login (cli)", () => {
  it("returns the session secret as `token`, sets no cookie, and the token works as a bearer without CSRF", async () => {
    const res = await postLogin(t, { email: OWNER, password: PASSWORD, client: "cli" });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
    const body = res.json() as { token: string; session: { kind: string; id: string } };
    expect(body.token).toMatch(/^kws_[0-9A-Za-z]+$/);
    expect(body.session.kind).toBe("cli");

    const me = await t.request("GET", "/v1/users/me", undefined, body.token);
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ email: OWNER });
    const created = await t.request("POST", "/v1/projects", { name: "from-cli" }, body.token);
    expect(created.statusCode, created.body).toBe(201);

    expect((await t.request("POST", "/v1/auth/logout", undefined, body.token)).statusCode).toBe(204);
    expectProblem(await t.request("GET", "/v1/users/me", undefined, body.token), 401, "UNAUTHORIZED");
  });
});

describe("two-factor authentication", () => {
  it("enrols with a code from an independent TOTP implementation, then login needs a code", async () => {
    const session = await login(t, OWNER);
    const started = await asSession(t, session, "POST", "/v1/users/me/totp");
    expect(started.statusCode, started.body).toBe(200);
    const { secret, otpauthUri } = started.json() as { secret: string; otpauthUri: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(secret);

    // A wrong code does not confirm.
    const wrongCode = totpCode(secret, t.clock.now() + 10 * STEP_MS);
    expectProblem(
      await asSession(t, session, "POST", "/v1/users/me/totp/confirm", { code: wrongCode }),
      401,
      "UNAUTHORIZED",
    );
    const confirmed = await asSession(t, session, "POST", "/v1/users/me/totp/confirm", {
      code: totpCode(secret, t.clock.now()),
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const { recoveryCodes } = confirmed.json() as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    const me = await asSession(t, session, "GET", "/v1/users/me");
    expect(me.json()).toMatchObject({ twoFactorEnabled: true });
    // Enrolling again while it is on is a conflict.
    expectProblem(await asSession(t, session, "POST", "/v1/users/me/totp"), 409, "CONFLICT");

    t.clock.advance(STEP_MS);
    expectProblem(await postLogin(t, { email: OWNER, password: PASSWORD }), 401, "MFA_REQUIRED");
    const code = totpCode(secret, t.clock.now());
    expectProblem(
      await postLogin(t, { email: OWNER, password: PASSWORD, code: "000000" === code ? "111111" : "000000" }),
      401,
      "MFA_REQUIRED",
    );
    const withCode = await postLogin(t, { email: OWNER, password: PASSWORD, code });
    expect(withCode.statusCode, withCode.body).toBe(200);
    expect((withCode.json() as { session: { secondFactorAt: string } }).session.secondFactorAt).toBe(
      new Date(t.clock.now()).toISOString(),
    );
    // The same code again is a replay, even within its time step.
    const replay = await postLogin(t, { email: OWNER, password: PASSWORD, code });
    expectProblem(replay, 401, "MFA_REQUIRED");
    expect(replay.body).not.toContain(code);
  });

  it("accepts the code's confirming step only once: logging in with the confirmation code is a replay", async () => {
    const session = await login(t, OWNER);
    const { secret } = await enrolTotp(t, session);
    // Same time step as the confirmation: the code was used already.
    expectProblem(
      await postLogin(t, { email: OWNER, password: PASSWORD, code: totpCode(secret, t.clock.now()) }),
      401,
      "MFA_REQUIRED",
    );
  });

  it("accepts each recovery code once, in any case and with the dashes left out", async () => {
    const { recoveryCodes } = await ownerWithTotp();
    const [first, second] = recoveryCodes as [string, string];
    const res = await postLogin(t, { email: OWNER, password: PASSWORD, code: first });
    expect(res.statusCode, res.body).toBe(200);
    expectProblem(await postLogin(t, { email: OWNER, password: PASSWORD, code: first }), 401, "MFA_REQUIRED");
    const typed = second.replaceAll("-", "").toUpperCase();
    expect((await postLogin(t, { email: OWNER, password: PASSWORD, code: typed })).statusCode).toBe(200);
  });

  it("disabling needs step-up: refused once the second factor is over 5 minutes old, allowed after step-up", async () => {
    const { session, secret } = await ownerWithTotp();
    t.clock.advance(5 * 60_000 + 1);
    expectProblem(await asSession(t, session, "DELETE", "/v1/users/me/totp"), 403, "STEP_UP_REQUIRED");
    const stepUp = await asSession(t, session, "POST", "/v1/auth/step-up", {
      code: totpCode(secret, t.clock.now()),
    });
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    const disabled = await asSession(t, session, "DELETE", "/v1/users/me/totp");
    expect(disabled.statusCode, disabled.body).toBe(204);
    expect((await asSession(t, session, "GET", "/v1/users/me")).json()).toMatchObject({
      twoFactorEnabled: false,
    });
    // Without a second factor, login needs no code again.
    await login(t, OWNER);
  });
});

describe("step-up", () => {
  async function storeSecret(): Promise<string> {
    const projectId = await createProject(t, { name: "vault", keyPrefix: "vault" });
    const res = await t.request("POST", "/v1/secrets", {
      projectId,
      name: "STRIPE_API_KEY",
      value: "sk_test_stepup_value_0123456789",
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  }

  it("revealing a secret needs a second factor within 5 minutes; POST /v1/auth/step-up renews it", async () => {
    const secretId = await storeSecret();
    const { session, secret } = await ownerWithTotp();
    // The enrolment's confirmation counted as a second factor: fresh enough.
    expect((await asSession(t, session, "POST", `/v1/secrets/${secretId}/reveal`)).statusCode).toBe(200);

    t.clock.advance(5 * 60_000 + 1);
    const refused = await asSession(t, session, "POST", `/v1/secrets/${secretId}/reveal`);
    expectProblem(refused, 403, "STEP_UP_REQUIRED");
    expect(refused.body).not.toContain("sk_test_stepup_value");

    const code = totpCode(secret, t.clock.now());
    const stepUp = await asSession(t, session, "POST", "/v1/auth/step-up", { code });
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    expect(stepUp.json()).toMatchObject({
      session: {
        id: session.sessionId,
        current: true,
        secondFactorAt: new Date(t.clock.now()).toISOString(),
      },
    });
    const revealed = await asSession(t, session, "POST", `/v1/secrets/${secretId}/reveal`);
    expect(revealed.statusCode, revealed.body).toBe(200);
    expect(revealed.json()).toMatchObject({ value: "sk_test_stepup_value_0123456789" });

    // The same code again is a replay.
    expectProblem(await asSession(t, session, "POST", "/v1/auth/step-up", { code }), 401, "UNAUTHORIZED");
  });

  it("a session that never presented a second factor is refused sensitive actions; step-up needs 2FA first", async () => {
    const secretId = await storeSecret();
    const session = await login(t, OWNER);
    expectProblem(
      await asSession(t, session, "POST", `/v1/secrets/${secretId}/reveal`),
      403,
      "STEP_UP_REQUIRED",
    );
    expectProblem(
      await asSession(t, session, "POST", "/v1/keys/revoke", { ownerId: "customer_1" }),
      403,
      "STEP_UP_REQUIRED",
    );
    expectProblem(
      await asSession(t, session, "POST", "/v1/keys/key_missing/reveal"),
      403,
      "STEP_UP_REQUIRED",
    );
    expectProblem(
      await asSession(t, session, "POST", "/v1/auth/step-up", { code: "123456" }),
      403,
      "TWO_FACTOR_REQUIRED",
    );
  });

  it("does not apply to admin tokens, whose permissions decide", async () => {
    const secretId = await storeSecret();
    expect((await t.request("POST", `/v1/secrets/${secretId}/reveal`)).statusCode).toBe(200);
  });
});

describe("sessions", () => {
  it("GET /v1/auth/sessions lists the caller's sessions with the current one marked", async () => {
    const first = await login(t, OWNER);
    t.clock.advance(1_000);
    const second = await login(t, OWNER);
    const res = await asSession(t, second, "GET", "/v1/auth/sessions");
    expect(res.statusCode, res.body).toBe(200);
    const items = (res.json() as { items: Array<{ id: string; current: boolean }> }).items;
    expect(items.map((s) => [s.id, s.current])).toEqual([
      [second.sessionId, true],
      [first.sessionId, false],
    ]);
    expect(res.body).not.toContain(first.secret);
    expect(res.body).not.toContain(second.secret);
  });

  it("DELETE /v1/auth/sessions/{id} ends another of the caller's sessions, and 404s for someone else's", async () => {
    const first = await login(t, OWNER);
    const second = await login(t, OWNER);
    const res = await asSession(t, second, "DELETE", `/v1/auth/sessions/${first.sessionId}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      session: { id: first.sessionId, current: false, revokedAt: new Date(t.clock.now()).toISOString() },
    });
    expectProblem(await asSession(t, first, "GET", "/v1/users/me"), 401, "UNAUTHORIZED");
    expect((await asSession(t, second, "GET", "/v1/users/me")).statusCode).toBe(200);

    await createUserDirectly(t, { email: "dev@example.com", role: "developer", name: "Dee Veloper" });
    const developer = await login(t, "dev@example.com");
    expectProblem(
      await asSession(t, developer, "DELETE", `/v1/auth/sessions/${second.sessionId}`),
      404,
      "NOT_FOUND",
    );
    expect((await asSession(t, second, "GET", "/v1/users/me")).statusCode).toBe(200);
  });

  it("are refused to admin tokens (403): they have no account", async () => {
    expectProblem(await t.request("GET", "/v1/auth/sessions"), 403, "FORBIDDEN");
    expectProblem(await t.request("GET", "/v1/users/me"), 403, "FORBIDDEN");
    expectProblem(await t.request("POST", "/v1/users/me/totp"), 403, "FORBIDDEN");
  });

  it("need a session: no credentials is 401", async () => {
    for (const [method, url] of [
      ["GET", "/v1/auth/sessions"],
      ["GET", "/v1/users/me"],
      ["POST", "/v1/auth/logout"],
    ] as const) {
      expectProblem(await t.request(method, url, undefined, null), 401, "UNAUTHORIZED");
    }
  });
});

describe("secrets stay out of the audit log and errors", () => {
  it("no password, code or session secret appears in the audit log after logins, failures and step-up", async () => {
    const { session, secret, recoveryCodes } = await ownerWithTotp();
    const code = totpCode(secret, t.clock.now());
    await postLogin(t, { email: OWNER, password: "a wrong password typed" });
    await postLogin(t, { email: "nobody@example.com", password: PASSWORD });
    const cli = await postLogin(t, { email: OWNER, password: PASSWORD, code, client: "cli" });
    expect(cli.statusCode, cli.body).toBe(200);
    await asSession(t, session, "POST", "/v1/auth/step-up", { code: "999999" });
    const audit = await t.request("GET", "/v1/audit?limit=100");
    expect(audit.statusCode, audit.body).toBe(200);
    const raw = rawResponse(audit);
    expect(raw).toContain("login.failed");
    expect(raw).toContain("login.succeeded");
    for (const leaked of [
      PASSWORD,
      "a wrong password typed",
      "nobody@example.com",
      code,
      secret,
      session.secret,
      (cli.json() as { token: string }).token,
      ...recoveryCodes,
    ]) {
      expect(raw).not.toContain(leaked);
    }
  });
});
