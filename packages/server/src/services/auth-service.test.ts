import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeywardError } from "@keyward/core/keyward-error.js";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import { parseConfig } from "../config.js";
import { type Instance, openInstance } from "../instance.js";
import type { LoginResult } from "./auth-service.js";
import type { Principal, RequestOrigin } from "./principal.js";
import { userPrincipal } from "./principal.js";

const ROOT: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const ORIGIN: RequestOrigin = { sourceIp: "198.51.100.7", userAgent: "vitest", requestId: "req_test" };
const PASSWORD = "correct horse battery staple, again";
const MINUTE = 60_000;

/** An independent RFC 6238 implementation (HMAC-SHA1, dynamic truncation), not the one under test. */
function totpAt(secretBase32: string, nowMs: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000)));
  const mac = createHmac("sha1", Buffer.from(decodeBase32IgnorePadding(secretBase32)))
    .update(counter)
    .digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, "0");
}

describe("AuthService", () => {
  let dataDir: string;
  let instance: Instance;
  let clock: ManualClock;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyward-auth-"));
    clock = new ManualClock();
    instance = await openInstance({
      config: parseConfig({ KEYWARD_DATA_DIR: dataDir }, { logLevel: "silent", schedulerEnabled: false }),
      clock,
    });
  });

  afterEach(async () => {
    await instance.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function createUser(email = "ada@example.com", role = "developer") {
    return instance.users.createUser(ROOT, { email, name: "Ada Lovelace", password: PASSWORD, role });
  }

  const login = (input: { email?: string; password?: string; code?: string } = {}) =>
    instance.auth.login({
      email: input.email ?? "ada@example.com",
      password: input.password ?? PASSWORD,
      ...(input.code === undefined ? {} : { code: input.code }),
      kind: "browser",
      origin: ORIGIN,
    });

  async function principalOf(result: LoginResult, permission = "keys:read"): Promise<Principal> {
    const found = await instance.auth.authenticate(result.secret);
    if (found === null) throw new Error("the session must be live");
    return { ...userPrincipal(found.identity, found.user.roles, permission), origin: ORIGIN };
  }

  /** Enrols TOTP for the logged-in user and returns the base32 secret and the recovery codes. */
  async function enrol(result: LoginResult) {
    const principal = await principalOf(result);
    const { secret, otpauthUri } = await instance.auth.startTotp(principal);
    expect(otpauthUri).toContain(`secret=${secret}`);
    const { recoveryCodes } = await instance.auth.confirmTotp(principal, totpAt(secret, clock.now()));
    return { secret, recoveryCodes };
  }

  it("logs in with the right password only, and answers a wrong password and an unknown email alike", async () => {
    await createUser();
    const result = await login();
    expect(result.session).toMatchObject({ kind: "browser", sourceIp: "198.51.100.7", revokedAt: null });
    expect(result.secret).toMatch(/^kws_/);
    expect(await instance.auth.authenticate(result.secret)).not.toBeNull();

    const wrong = await login({ password: "not the password at all" }).catch((e: unknown) => e);
    const unknown = await login({ email: "nobody@example.com" }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: "UNAUTHORIZED", message: "The email or the password is wrong." });
    expect(unknown).toMatchObject({ code: "UNAUTHORIZED", message: "The email or the password is wrong." });
    // Both failures are audited, the unknown account without naming what was typed.
    const failures = await instance.stores.audit.listAuditEntries({
      order: "oldest",
      action: "login.failed",
      limit: 10,
    });
    expect(failures.map((e) => e.diff)).toEqual([{ reason: "wrong_password" }, { reason: "unknown_user" }]);
    expect(JSON.stringify(failures)).not.toContain("nobody@example.com");
    expect(JSON.stringify(failures)).not.toContain(PASSWORD);
  });

  it("ends a session after 30 idle minutes, and after 12 hours however busy", async () => {
    await createUser();
    const idle = await login();
    clock.advance(29 * MINUTE);
    expect(await instance.auth.authenticate(idle.secret)).not.toBeNull();
    clock.advance(29 * MINUTE); // used 29 minutes ago: still live
    expect(await instance.auth.authenticate(idle.secret)).not.toBeNull();
    clock.advance(30 * MINUTE);
    expect(await instance.auth.authenticate(idle.secret)).toBeNull();

    const busy = await login();
    for (let elapsed = 0; elapsed < 12 * 60; elapsed += 20) {
      expect(await instance.auth.authenticate(busy.secret)).not.toBeNull();
      clock.advance(20 * MINUTE);
    }
    expect(await instance.auth.authenticate(busy.secret)).toBeNull();
  });

  it("ends a session on logout and on revocation by its owner, and not another user's", async () => {
    await createUser();
    await createUser("grace@example.com");
    const mine = await login();
    const other = await login();
    const theirs = await login({ email: "grace@example.com" });
    const principal = await principalOf(mine);
    await expectKeywardError(instance.auth.revokeSession(principal, theirs.session.id), "NOT_FOUND");
    await instance.auth.revokeSession(principal, other.session.id);
    expect(await instance.auth.authenticate(other.secret)).toBeNull();
    expect((await instance.auth.listSessions(principal)).map((s) => s.id).sort()).toEqual(
      [mine.session.id, other.session.id].sort(),
    );
    await instance.auth.logout(principal);
    expect(await instance.auth.authenticate(mine.secret)).toBeNull();
    expect(await instance.auth.authenticate(theirs.secret)).not.toBeNull();
  });

  it("requires a TOTP code once enrolled, refuses a replayed one, and takes each recovery code once", async () => {
    await createUser();
    const { secret, recoveryCodes } = await enrol(await login());
    expect(recoveryCodes).toHaveLength(10);

    await expectKeywardError(login(), "MFA_REQUIRED");
    clock.advance(30_000);
    const code = totpAt(secret, clock.now());
    const withCode = await login({ code });
    expect(withCode.session.secondFactorAt).toBe(clock.now());
    await expectKeywardError(login({ code }), "MFA_REQUIRED"); // the same code again: a replay

    const recovery = recoveryCodes[0] as string;
    expect((await login({ code: recovery.toUpperCase() })).session.secondFactorAt).toBe(clock.now());
    await expectKeywardError(login({ code: recovery }), "MFA_REQUIRED");
  });

  it("allows sensitive actions only within 5 minutes of a second factor, and step-up renews it", async () => {
    await createUser();
    const first = await login();
    const { secret } = await enrol(first);
    // Confirming the enrolment counts as a second factor.
    instance.auth.requireStepUp(await principalOf(first));
    clock.advance(5 * MINUTE + 1);
    const stale = await principalOf(first);
    expect(() => instance.auth.requireStepUp(stale)).toThrow(
      expect.objectContaining({ code: "STEP_UP_REQUIRED" }),
    );
    await expectKeywardError(instance.auth.stepUp(stale, "000000"), "UNAUTHORIZED");
    clock.advance(30_000);
    await instance.auth.stepUp(stale, totpAt(secret, clock.now()));
    instance.auth.requireStepUp(await principalOf(first));
    // Admin tokens have no second factor: their permissions decide.
    instance.auth.requireStepUp(ROOT);
  });

  it("locks an account out after 10 attempts in 15 minutes, then lets it in again", async () => {
    await createUser();
    for (let i = 0; i < 10; i++)
      await expectKeywardError(login({ password: `wrong password ${i}` }), "UNAUTHORIZED");
    // Even the right password is refused while locked; the error says how long the lockout lasts.
    const locked = (await login().catch((e: unknown) => e)) as KeywardError;
    expect(locked).toMatchObject({ code: "TOO_MANY_LOGIN_ATTEMPTS" });
    const retryAfterMs = locked.retryAfterMs ?? 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(30 * MINUTE);
    clock.advance(15 * MINUTE);
    await expectKeywardError(login(), "TOO_MANY_LOGIN_ATTEMPTS");
    // Waiting as long as the error said lets the right password in (refused attempts are not counted).
    clock.advance(retryAfterMs - 15 * MINUTE);
    expect((await login()).session.userId).toBeDefined();
  });

  it("seals the TOTP secret: the store holds no plaintext of it", async () => {
    await createUser();
    const { secret } = await enrol(await login());
    const user = (await instance.stores.users.findCredentialsByEmail("ada@example.com")) ?? null;
    expect(user?.totpSealedSecret).toBeTruthy();
    const raw = Buffer.from(decodeBase32IgnorePadding(secret));
    expect(user?.totpSealedSecret).not.toContain(secret);
    expect(user?.totpSealedSecret).not.toContain(raw.toString("base64"));
  });
});
