import type { RoleBinding } from "@keyward/core/roles.js";
import type { ChangeEffect, EffectsFor, PageQuery } from "./records.js";

/** An admin user as every reader may see it: no password hash, no second factor secret. */
export interface UserRecord {
  id: string;
  /** Lowercased; unique. */
  email: string;
  name: string;
  roles: RoleBinding[];
  /** True once a TOTP enrolment was confirmed. */
  twoFactorEnabled: boolean;
  /** False while an invited user has not set a password yet. */
  hasPassword: boolean;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What login and the second factor need of a user, read by email or id; only the auth service sees it. */
export interface UserCredentials {
  user: UserRecord;
  passwordHash: string | null;
  passwordChangedAt: number | null;
  /** The sealed TOTP secret, confirmed or pending (enrolment started, not confirmed). */
  totpSealedSecret: string | null;
  totpConfirmedAt: number | null;
  /** The last TOTP time step accepted; a code of this step or an older one is a replay. */
  totpLastStep: number | null;
}

/** A new user, with the password hash when it is set at creation (null for an invitation). */
export interface NewUser {
  record: UserRecord;
  passwordHash: string | null;
}

/** The fields of a user an update may change; absent ones stay. */
export interface UserPatch {
  name?: string;
  email?: string;
}

/** `browser` sessions come from `POST /v1/auth/login` (a cookie); `cli` ones from `keyward login` (a bearer). */
export type SessionKind = "browser" | "cli";

/** A login session. The secret the client holds is never stored, only its digest. */
export interface SessionRecord {
  id: string;
  userId: string;
  kind: SessionKind;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end: no activity extends it. */
  expiresAt: number;
  /** When a second factor (TOTP or a recovery code) was last presented in this session, for step-up. */
  secondFactorAt: number | null;
  revokedAt: number | null;
  sourceIp: string | null;
  userAgent: string | null;
}

/** An invitation to become a user with one role, accepted once before it expires. */
export interface InvitationRecord {
  id: string;
  email: string;
  role: RoleBinding["role"];
  projectId: string | null;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
}

/**
 * Admin users, their roles, second factors, sessions and invitations. Changes take effects (audit entries) written
 * in the change's transaction, like the other stores. Every implementation passes `user-store.conformance.ts`.
 */
export interface UserStore {
  countUsers(): Promise<number>;
  /** Inserts the user and its role bindings; CONFLICT when the email is taken. */
  createUser(user: NewUser, effects?: readonly ChangeEffect[]): Promise<void>;
  findUser(id: string): Promise<UserRecord | null>;
  findCredentialsByEmail(email: string): Promise<UserCredentials | null>;
  findCredentials(id: string): Promise<UserCredentials | null>;
  /** Users in id order; with `projectIds`, only users bound to one of them or instance-wide. */
  listUsers(query: PageQuery & { projectIds?: readonly string[] | null }): Promise<UserRecord[]>;
  /** Null when no user has that id; CONFLICT when the new email is taken. */
  updateUser(
    id: string,
    patch: UserPatch,
    nowMs: number,
    effectsFor?: EffectsFor<UserRecord>,
  ): Promise<UserRecord | null>;
  /** Replaces every role binding of the user in one transaction; null when no user has that id. */
  setUserRoles(
    id: string,
    roles: readonly RoleBinding[],
    nowMs: number,
    effectsFor?: EffectsFor<UserRecord>,
  ): Promise<UserRecord | null>;
  /** Deletes the user with its roles, sessions and recovery codes; null when no user has that id. */
  deleteUser(id: string, effectsFor?: EffectsFor<UserRecord>): Promise<UserRecord | null>;
  /** Sets the password hash (a new password, or a rehash with current parameters on login). */
  setPasswordHash(
    id: string,
    passwordHash: string,
    change: { nowMs: number; passwordChanged: boolean },
    effects?: readonly ChangeEffect[],
  ): Promise<boolean>;

  /** Starts (or restarts) a TOTP enrolment: the sealed secret, unconfirmed. Refused (false) once one is confirmed. */
  startTotpEnrolment(id: string, sealedSecret: string, nowMs: number): Promise<boolean>;
  /**
   * Confirms the pending enrolment with the step of the code that proved it and stores the recovery codes'
   * digests, replacing any earlier ones, in one transaction; false when there is no pending enrolment.
   */
  confirmTotp(
    id: string,
    confirmation: { step: number; nowMs: number; recoveryCodeDigests: readonly Buffer[] },
    effects?: readonly ChangeEffect[],
  ): Promise<boolean>;
  /**
   * Records a TOTP step as used, only if it is newer than the last one used (one conditional write, so two nodes
   * accepting the same code at once cannot both succeed); false for a replay.
   */
  useTotpStep(id: string, step: number): Promise<boolean>;
  /** Removes the TOTP secret and the recovery codes; false when none was set. */
  disableTotp(id: string, nowMs: number, effects?: readonly ChangeEffect[]): Promise<boolean>;
  /** Marks a recovery code used, only if it is unused (single use across nodes); false otherwise. */
  useRecoveryCode(id: string, digest: Buffer, nowMs: number): Promise<boolean>;
  countUnusedRecoveryCodes(id: string): Promise<number>;

  createSession(
    session: SessionRecord,
    secretDigest: Buffer,
    effects?: readonly ChangeEffect[],
  ): Promise<void>;
  findSessionByDigest(secretDigest: Buffer): Promise<SessionRecord | null>;
  findSession(id: string): Promise<SessionRecord | null>;
  /** A user's sessions, newest first, revoked and expired ones included. */
  listSessions(userId: string): Promise<SessionRecord[]>;
  /** Moves `lastSeenAt` forward (never back). */
  touchSession(id: string, nowMs: number): Promise<void>;
  recordSecondFactor(id: string, nowMs: number): Promise<void>;
  /** Revokes once; null when no session has that id. */
  revokeSession(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<SessionRecord>,
  ): Promise<SessionRecord | null>;
  /** Revokes every live session of the user (password change, 2FA change, deletion); returns how many. */
  revokeUserSessions(userId: string, nowMs: number): Promise<number>;
  /** Deletes sessions that ended (revoked or expired) before `beforeMs`; returns how many. */
  pruneSessions(beforeMs: number): Promise<number>;

  createInvitation(
    invitation: InvitationRecord,
    secretDigest: Buffer,
    effects?: readonly ChangeEffect[],
  ): Promise<void>;
  findInvitationByDigest(secretDigest: Buffer): Promise<InvitationRecord | null>;
  /**
   * Accepts the invitation once, if unexpired at `nowMs`, by creating the user it names, in one transaction;
   * false when it was accepted already or has expired; CONFLICT when the email is taken.
   */
  acceptInvitation(
    invitationId: string,
    user: NewUser,
    nowMs: number,
    effects?: readonly ChangeEffect[],
  ): Promise<boolean>;
}
