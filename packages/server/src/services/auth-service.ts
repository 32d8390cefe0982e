import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import { generateKey, parseKey } from "@keyward/core/key-format.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { auditEntry } from "../audit/audit-entry.js";
import type { PasswordHasher } from "../auth/password-hasher.js";
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from "../auth/recovery-codes.js";
import { newTotpSecret, otpauthUri, verifyTotp } from "../auth/totp.js";
import { openSecret, type SealedSecret, sealSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import type { RateLimiter } from "../limits/rate-limiter.js";
import type { AuditStore } from "../store/audit-store.js";
import type {
  SessionKind,
  SessionRecord,
  UserCredentials,
  UserRecord,
  UserStore,
} from "../store/user-store.js";
import type { Clock } from "./clock.js";
import type { Principal, RequestOrigin, UserIdentity } from "./principal.js";
import { userTotpContext } from "./seal-contexts.js";

/** Session secrets (the cookie's value, or a CLI bearer) carry this prefix; admin tokens carry `kwr`. */
export const SESSION_PREFIX = "kws";

/** Timeouts and limits of {@link AuthService}; the defaults are the documented ones. */
export interface AuthPolicy {
  /** A session unused this long ends (30 min). */
  idleTimeoutMs: number;
  /** A session ends this long after login, used or not (12 h). */
  absoluteTimeoutMs: number;
  /** A second factor this recent allows sensitive actions (5 min). */
  stepUpWindowMs: number;
  /** Login and step-up attempts per account, and per source address, in a window. */
  attemptsPerAccount: number;
  attemptsPerAddress: number;
  attemptWindowMs: number;
  /** Every user must have two-factor authentication (`KEYWARD_REQUIRE_2FA`). */
  require2fa: boolean;
  /** The issuer authenticator apps show next to the account. */
  totpIssuer: string;
}

export const DEFAULT_AUTH_POLICY: AuthPolicy = {
  idleTimeoutMs: 30 * 60_000,
  absoluteTimeoutMs: 12 * 3_600_000,
  stepUpWindowMs: 5 * 60_000,
  attemptsPerAccount: 10,
  attemptsPerAddress: 50,
  attemptWindowMs: 15 * 60_000,
  require2fa: false,
  totpIssuer: "Keyward",
};

/** Options for {@link AuthService}. */
export interface AuthServiceOptions {
  users: UserStore;
  /** Where entries of actions that change nothing else go (failed logins). */
  audit: AuditStore;
  kms: Kms;
  limiter: RateLimiter;
  hasher: PasswordHasher;
  clock: Clock;
  policy?: Partial<AuthPolicy>;
}

/** What a login returns: the session, the secret the client keeps (shown once), and its CSRF token. */
export interface LoginResult {
  session: SessionRecord;
  user: UserRecord;
  secret: string;
  csrfToken: string;
}

/** A live session and its user, as the authentication hook needs them. */
export interface AuthenticatedSession {
  session: SessionRecord;
  user: UserRecord;
  identity: UserIdentity;
}

/**
 * Logs users in and out, keeps their sessions, checks second factors and step-up, and enrols TOTP. Sessions are
 * random secrets kept as SHA-256 digests; they end after an idle and an absolute timeout. Attempts are counted per
 * account and per source address in the shared rate limiter, so the limits hold across nodes.
 */
export class AuthService {
  readonly policy: AuthPolicy;
  readonly #options: AuthServiceOptions;

  constructor(options: AuthServiceOptions) {
    this.#options = options;
    this.policy = { ...DEFAULT_AUTH_POLICY, ...options.policy };
  }

  /**
   * Logs a user in. UNAUTHORIZED for a wrong email or password (the same answer, in about the same time, for
   * both), MFA_REQUIRED when a second factor is due and missing or wrong, TOO_MANY_LOGIN_ATTEMPTS past the
   * limits. Every failure is in the audit log.
   */
  async login(input: {
    email: string;
    password: string;
    code?: string;
    kind: SessionKind;
    origin: RequestOrigin;
  }): Promise<LoginResult> {
    const email = input.email.trim().toLowerCase();
    await this.#chargeAttempt(`email:${email}`, input.origin);
    const { users, hasher } = this.#options;
    const credentials = await users.findCredentialsByEmail(email);
    if (credentials === null || credentials.passwordHash === null) {
      await hasher.verifyAgainstDummy(input.password);
      await this.#recordFailure(null, "login.failed", "unknown_user", input.origin);
      throw badCredentials();
    }
    if (!(await hasher.verify(credentials.passwordHash, input.password))) {
      await this.#recordFailure(credentials.user, "login.failed", "wrong_password", input.origin);
      throw badCredentials();
    }
    const now = this.#options.clock.now();
    let secondFactorAt: number | null = null;
    if (credentials.user.twoFactorEnabled) {
      if (input.code === undefined || input.code.trim() === "") {
        throw new KeywardError(
          "MFA_REQUIRED",
          "Send the code of your authenticator app, or a recovery code.",
        );
      }
      if (!(await this.#checkSecondFactor(credentials, input.code, now))) {
        await this.#recordFailure(credentials.user, "login.failed", "wrong_code", input.origin);
        throw new KeywardError(
          "MFA_REQUIRED",
          "The code is not valid (or was used already); try the next one.",
        );
      }
      secondFactorAt = now;
    }
    if (hasher.needsRehash(credentials.passwordHash)) {
      // The parameters changed since this hash was made: the plaintext is at hand only now.
      const rehashed = await hasher.hash(input.password);
      await users.setPasswordHash(credentials.user.id, rehashed, { nowMs: now, passwordChanged: false });
    }
    const secret = generateKey({ prefix: SESSION_PREFIX });
    const session: SessionRecord = {
      id: newId("ses", { now }),
      userId: credentials.user.id,
      kind: input.kind,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.policy.absoluteTimeoutMs,
      secondFactorAt,
      revokedAt: null,
      sourceIp: input.origin.sourceIp,
      userAgent: input.origin.userAgent,
    };
    await users.createSession(session, sessionDigest(secret), [
      this.#userAudit(credentials.user, session.id, input.origin, "login.succeeded", now, {
        kind: input.kind,
        secondFactor: secondFactorAt !== null,
      }),
    ]);
    return { session, user: credentials.user, secret, csrfToken: csrfTokenOf(secret) };
  }

  /**
   * The live session behind a secret, or null when there is none: unknown, revoked, idle too long or past its
   * absolute end. A session in use is kept alive (its `lastSeenAt` moves, at most once a minute).
   */
  async authenticate(secret: string): Promise<AuthenticatedSession | null> {
    const parsed = parseKey(secret);
    if (parsed === null || parsed.prefix !== SESSION_PREFIX) return null;
    const { users, clock } = this.#options;
    const session = await users.findSessionByDigest(sessionDigest(secret));
    if (session === null || !this.#isLive(session, clock.now())) return null;
    const user = await users.findUser(session.userId);
    if (user === null) return null;
    const now = clock.now();
    if (now - session.lastSeenAt >= 60_000) await users.touchSession(session.id, now);
    return {
      session,
      user,
      identity: {
        id: user.id,
        email: user.email,
        sessionId: session.id,
        secondFactorAt: session.secondFactorAt,
        twoFactorEnabled: user.twoFactorEnabled,
        isOwner: user.roles.some((r) => r.role === "owner" && r.projectId === null),
      },
    };
  }

  /** True when the CSRF token is the one of this session secret (compared in constant time). */
  checkCsrfToken(secret: string, token: string | undefined): boolean {
    if (token === undefined) return false;
    const expected = Buffer.from(csrfTokenOf(secret));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Ends the principal's own session. */
  async logout(principal: Principal): Promise<void> {
    const identity = requireUser(principal);
    await this.#options.users.revokeSession(identity.sessionId, this.#options.clock.now(), (session) => [
      this.#sessionAudit(principal, "logout", session),
    ]);
  }

  /**
   * Records a fresh second factor in the principal's session, for the actions that need step-up. Counted like
   * login attempts; a wrong or replayed code is UNAUTHORIZED.
   */
  async stepUp(principal: Principal, code: string): Promise<SessionRecord> {
    const identity = requireUser(principal);
    await this.#chargeAttempt(`user:${identity.id}`, principal.origin ?? null);
    const credentials = await this.#options.users.findCredentials(identity.id);
    const now = this.#options.clock.now();
    if (credentials === null || !credentials.user.twoFactorEnabled) {
      throw new KeywardError("TWO_FACTOR_REQUIRED", "Enrol a second factor first: POST /v1/users/me/totp.");
    }
    if (!(await this.#checkSecondFactor(credentials, code, now))) {
      await this.#recordFailure(credentials.user, "step_up.failed", "wrong_code", principal.origin ?? null);
      throw new KeywardError("UNAUTHORIZED", "The code is not valid (or was used already).");
    }
    await this.#options.users.recordSecondFactor(identity.sessionId, now);
    const session = await this.#options.users.findSession(identity.sessionId);
    if (session === null) throw new KeywardError("UNAUTHORIZED", "The session has ended.");
    return session;
  }

  /**
   * Throws STEP_UP_REQUIRED unless a user principal presented a second factor within the step-up window. Admin
   * tokens have no second factor; their permissions decide.
   */
  requireStepUp(principal: Principal): void {
    const identity = principal.user;
    if (identity === undefined) return;
    const at = identity.secondFactorAt;
    if (at === null || this.#options.clock.now() - at > this.policy.stepUpWindowMs) {
      throw new KeywardError(
        "STEP_UP_REQUIRED",
        "Confirm with a second factor first: POST /v1/auth/step-up {code}, then repeat this request.",
      );
    }
  }

  /** The principal's own sessions, newest first. */
  async listSessions(principal: Principal): Promise<SessionRecord[]> {
    return this.#options.users.listSessions(requireUser(principal).id);
  }

  /** Ends one of the principal's own sessions; NOT_FOUND for another user's. */
  async revokeSession(principal: Principal, id: string): Promise<SessionRecord> {
    const identity = requireUser(principal);
    const existing = await this.#options.users.findSession(id);
    if (existing === null || existing.userId !== identity.id) {
      throw new KeywardError("NOT_FOUND", "No session of yours has this id.");
    }
    const revoked = await this.#options.users.revokeSession(id, this.#options.clock.now(), (session) => [
      this.#sessionAudit(principal, "session.revoked", session),
    ]);
    if (revoked === null) throw new KeywardError("NOT_FOUND", "No session of yours has this id.");
    return revoked;
  }

  /**
   * Starts a TOTP enrolment: a new secret, sealed, not in force until confirmed. CONFLICT when two-factor
   * authentication is on already (disable it first).
   */
  async startTotp(principal: Principal): Promise<{ otpauthUri: string; secret: string }> {
    const identity = requireUser(principal);
    const secret = Buffer.from(newTotpSecret());
    try {
      const sealed = JSON.stringify(
        await sealSecret(this.#options.kms, secret, userTotpContext(identity.id)),
      );
      if (!(await this.#options.users.startTotpEnrolment(identity.id, sealed, this.#options.clock.now()))) {
        throw new KeywardError(
          "CONFLICT",
          "Two-factor authentication is on already; disable it to enrol again.",
        );
      }
      const uri = otpauthUri({ secret, issuer: this.policy.totpIssuer, accountName: identity.email });
      return { otpauthUri: uri, secret: new URL(uri).searchParams.get("secret") ?? "" };
    } finally {
      secret.fill(0);
    }
  }

  /**
   * Confirms the pending enrolment with a code from the app, turns two-factor authentication on and returns ten
   * recovery codes, shown once; this session counts as having presented the second factor.
   */
  async confirmTotp(principal: Principal, code: string): Promise<{ recoveryCodes: string[] }> {
    const identity = requireUser(principal);
    const { users, clock } = this.#options;
    const credentials = await users.findCredentials(identity.id);
    if (credentials?.totpSealedSecret == null || credentials.totpConfirmedAt !== null) {
      throw new KeywardError("CONFLICT", "No enrolment is pending: POST /v1/users/me/totp first.");
    }
    const now = clock.now();
    const verification = await this.#verifyTotpCode(credentials, code, now);
    if (!verification.ok) throw new KeywardError("UNAUTHORIZED", "The code is not valid; try the next one.");
    const recoveryCodes = newRecoveryCodes();
    const confirmed = await users.confirmTotp(
      identity.id,
      {
        step: verification.step,
        nowMs: now,
        recoveryCodeDigests: recoveryCodes.map((c) => Buffer.from(hashRecoveryCode(c), "hex")),
      },
      [
        this.#userAudit(
          credentials.user,
          identity.sessionId,
          principal.origin ?? null,
          "user.2fa_enabled",
          now,
        ),
      ],
    );
    if (!confirmed)
      throw new KeywardError("CONFLICT", "No enrolment is pending: POST /v1/users/me/totp first.");
    await users.recordSecondFactor(identity.sessionId, now);
    return { recoveryCodes };
  }

  /** Turns two-factor authentication off (step-up required); NOT_FOUND when it was not on. */
  async disableTotp(principal: Principal): Promise<void> {
    const identity = requireUser(principal);
    this.requireStepUp(principal);
    const now = this.#options.clock.now();
    const user = await this.#options.users.findUser(identity.id);
    if (user === null || !user.twoFactorEnabled) {
      throw new KeywardError("NOT_FOUND", "Two-factor authentication is not on.");
    }
    await this.#options.users.disableTotp(identity.id, now, [
      this.#userAudit(user, identity.sessionId, principal.origin ?? null, "user.2fa_disabled", now),
    ]);
  }

  #isLive(session: SessionRecord, now: number): boolean {
    return (
      session.revokedAt === null &&
      now < session.expiresAt &&
      now - session.lastSeenAt < this.policy.idleTimeoutMs
    );
  }

  /** A TOTP code (replay refused across nodes) or an unused recovery code, which is then used up. */
  async #checkSecondFactor(credentials: UserCredentials, code: string, now: number): Promise<boolean> {
    const recovery = normalizeRecoveryCode(code);
    if (recovery !== null) {
      const digest = Buffer.from(hashRecoveryCode(recovery), "hex");
      return this.#options.users.useRecoveryCode(credentials.user.id, digest, now);
    }
    const verification = await this.#verifyTotpCode(credentials, code, now);
    return verification.ok && (await this.#options.users.useTotpStep(credentials.user.id, verification.step));
  }

  async #verifyTotpCode(credentials: UserCredentials, code: string, now: number) {
    if (credentials.totpSealedSecret === null) return { ok: false as const };
    const secret = await openSecret(
      this.#options.kms,
      JSON.parse(credentials.totpSealedSecret) as SealedSecret,
      userTotpContext(credentials.user.id),
    );
    try {
      return verifyTotp({ secret, code, nowMs: now, lastUsedStep: credentials.totpLastStep });
    } finally {
      secret.fill(0);
    }
  }

  /**
   * Counts a credential attempt that names no account (accepting an invitation) against the source address's
   * budget, the one logins share; TOO_MANY_LOGIN_ATTEMPTS past it. Without a source address it counts nothing.
   */
  async chargeAddressAttempt(origin: RequestOrigin | null): Promise<void> {
    await this.#chargeAttempt(null, origin);
  }

  /** Counts an attempt for the account and the source address; TOO_MANY_LOGIN_ATTEMPTS past either limit. */
  async #chargeAttempt(account: string | null, origin: RequestOrigin | null): Promise<void> {
    const { attemptsPerAccount, attemptsPerAddress, attemptWindowMs } = this.policy;
    const nowMs = this.#options.clock.now();
    const limits =
      account === null
        ? []
        : [{ key: `login:${account}`, limit: attemptsPerAccount, windowMs: attemptWindowMs, cost: 1 }];
    if (origin?.sourceIp != null) {
      limits.push({
        key: `login:ip:${origin.sourceIp}`,
        limit: attemptsPerAddress,
        windowMs: attemptWindowMs,
        cost: 1,
      });
    }
    if (limits.length === 0) return;
    // A limiter outage refuses the attempt (RATE_LIMITER_UNAVAILABLE): uncounted attempts are unlimited ones.
    const result = await this.#options.limiter.charge({ limits, nowMs });
    const refused = result.limits.filter((l) => !l.allowed);
    if (refused.length > 0) {
      // The sliding window still weighs the window that ends at resetAt during the next one: only once that next
      // window has passed too are the attempts certainly forgotten, so that is the wait announced (never too short).
      const clearAt = Math.max(...refused.map((l) => l.resetAt)) + attemptWindowMs;
      throw new KeywardError(
        "TOO_MANY_LOGIN_ATTEMPTS",
        "Too many attempts for this account or from this address; wait before trying again.",
        { retryAfterMs: Math.max(clearAt - nowMs, 1_000) },
      );
    }
  }

  /** A failed attempt, in the audit log (the attempt changed nothing, so it is appended on its own). */
  async #recordFailure(
    user: UserRecord | null,
    action: string,
    reason: string,
    origin: RequestOrigin | null,
  ): Promise<void> {
    const now = this.#options.clock.now();
    // An unknown account is not named: what was typed as the email may be a password.
    const actor = user === null ? { type: "user" as const, id: "unknown", name: null } : userActor(user);
    const entry = auditEntry(
      actor,
      {
        action,
        target: user === null ? null : { type: "user", id: user.id },
        projectId: null,
        outcome: "failure",
        diff: { reason },
      },
      now,
    );
    await this.#options.audit.appendAuditEntries([withOrigin(entry, origin)]);
  }

  #userAudit(
    user: UserRecord,
    sessionId: string,
    origin: RequestOrigin | null,
    action: string,
    now: number,
    diff: AuditEntryContent["diff"] = {},
  ): AuditEntryContent {
    const entry = auditEntry(
      userActor(user),
      { action, target: { type: "session", id: sessionId }, projectId: null, diff },
      now,
    );
    return withOrigin(entry, origin);
  }

  #sessionAudit(principal: Principal, action: string, session: SessionRecord): AuditEntryContent {
    return auditEntry(
      principal,
      { action, target: { type: "session", id: session.id }, projectId: null },
      this.#options.clock.now(),
    );
  }
}

/** The digest a session is stored and found by. Session secrets are 256-bit random, so one SHA-256 suffices. */
export function sessionDigest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** The CSRF token of a session: derived from its secret, so it needs no storage and dies with the session. */
export function csrfTokenOf(secret: string): string {
  return createHmac("sha256", secret).update("keyward-csrf-v1").digest("base64url");
}

function userActor(user: UserRecord) {
  return { type: "user" as const, id: user.id, name: user.email };
}

function withOrigin(entry: AuditEntryContent, origin: RequestOrigin | null): AuditEntryContent {
  if (origin === null) return entry;
  return { ...entry, sourceIp: origin.sourceIp, userAgent: origin.userAgent, requestId: origin.requestId };
}

function requireUser(principal: Principal): UserIdentity {
  if (principal.user === undefined) {
    throw new KeywardError("FORBIDDEN", "Only a user's session can do this; admin tokens have no account.");
  }
  return principal.user;
}

function badCredentials(): KeywardError {
  return new KeywardError("UNAUTHORIZED", "The email or the password is wrong.");
}
