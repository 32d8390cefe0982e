import { createHash } from "node:crypto";
import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import { generateKey, parseKey } from "@keyward/core/key-format.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { checkPassword, normalizePassword, passwordPolicyError } from "@keyward/core/password-policy.js";
import { holdsPermission } from "@keyward/core/permissions.js";
import { isRole, type Role, type RoleBinding } from "@keyward/core/roles.js";
import { auditEntry, recordDiff } from "../audit/audit-entry.js";
import type { PasswordHasher } from "../auth/password-hasher.js";
import type { InvitationRecord, UserRecord, UserStore } from "../store/user-store.js";
import type { AuthService } from "./auth-service.js";
import type { Clock } from "./clock.js";
import { listPage, type Page } from "./page.js";
import { canAccessProject, type Principal, type RequestOrigin, requirePermission } from "./principal.js";
import type { ProjectService } from "./project-service.js";

/** Limits of user fields, as the API schema states them. */
export const USER_LIMITS = { emailLength: 254, nameLength: 200 } as const;

/** Invitation secrets carry this prefix (`kwi_…`); sessions carry `kws`, admin tokens `kwr`. */
export const INVITATION_PREFIX = "kwi";

/** How long an invitation lasts, in hours: 72 unless the inviter says otherwise, at most 30 days. */
export const INVITATION_EXPIRY_HOURS = { default: 72, min: 1, max: 720 } as const;

/** The fields of a user the audit log records (never the password hash or the second factor). */
const USER_AUDIT_FIELDS = ["email", "name", "roles", "twoFactorEnabled"] as const;

/** Options for {@link UserService}. */
export interface UserServiceOptions {
  users: UserStore;
  projects: ProjectService;
  auth: AuthService;
  hasher: PasswordHasher;
  isCommonPassword(normalizedPassword: string): boolean;
  clock: Clock;
}

/** What a caller sets when creating a user: one role, instance-wide or in some projects. */
export interface CreateUserInput {
  email: string;
  name: string;
  password: string;
  role: string;
  projectIds?: string[] | null;
}

/**
 * What a caller sets when inviting someone: one role, instance-wide or in one project (an invitation holds one
 * binding; more are added with PATCH /v1/users/{id} once it is accepted).
 */
export interface InviteInput {
  email: string;
  role: string;
  projectIds?: string[] | null;
  expiresInHours?: number;
}

/** An invitation and its secret, shown once: the store keeps only the secret's SHA-256. */
export interface CreatedInvitation {
  invitation: InvitationRecord;
  token: string;
}

/** What the invited person sends to accept: the secret, and the name and password of the new account. */
export interface AcceptInvitationInput {
  token: string;
  name: string;
  password: string;
  origin?: RequestOrigin;
}

/** What a caller may change of a user; a role with projectIds replaces every binding. */
export interface UpdateUserInput {
  name?: string;
  email?: string;
  role?: string;
  projectIds?: string[] | null;
}

/**
 * Admin users and their roles. Only an owner grants, changes or removes the owner role; role changes need a fresh
 * second factor from a user's session (step-up). A caller limited to some projects manages bindings in those
 * projects only. Every change is in the audit log.
 */
export class UserService {
  readonly #options: UserServiceOptions;

  constructor(options: UserServiceOptions) {
    this.#options = options;
  }

  async createUser(principal: Principal, input: CreateUserInput): Promise<UserRecord> {
    requirePermission(principal, "users:write");
    const email = normalizeEmail(input.email);
    const name = checkName(input.name);
    const roles = await this.#bindings(principal, input.role, input.projectIds ?? null);
    this.#options.auth.requireStepUp(principal);
    const password = normalizePassword(input.password);
    const check = checkPassword(password, {
      twoFactor: false,
      email,
      name,
      isCommon: this.#options.isCommonPassword,
    });
    if (!check.ok) throw passwordPolicyError(check.reasons);
    const now = this.#options.clock.now();
    const record: UserRecord = {
      id: newId("usr", { now }),
      email,
      name,
      roles,
      twoFactorEnabled: false,
      hasPassword: true,
      createdBy: principal.tokenId,
      createdAt: now,
      updatedAt: now,
    };
    await this.#options.users.createUser(
      { record, passwordHash: await this.#options.hasher.hash(password) },
      [userAudit(principal, "user.created", record, recordDiff(record, USER_AUDIT_FIELDS), now)],
    );
    return record;
  }

  /** The caller's own account, whatever its permissions; FORBIDDEN for an admin token (it has no account). */
  async me(principal: Principal): Promise<UserRecord> {
    if (principal.user === undefined) {
      throw new KeywardError("FORBIDDEN", "Only a user's session has an account; admin tokens have none.");
    }
    const user = await this.#options.users.findUser(principal.user.id);
    // The session was live a moment ago; the account may have been deleted since.
    if (user === null) throw new KeywardError("UNAUTHORIZED", "The session has ended; log in again.");
    return user;
  }

  async getUser(principal: Principal, id: string): Promise<UserRecord> {
    requirePermission(principal, "users:read");
    return this.#findVisible(principal, id);
  }

  async listUsers(
    principal: Principal,
    query: { limit?: number; cursor?: string },
  ): Promise<Page<UserRecord>> {
    requirePermission(principal, "users:read");
    return listPage(query.limit, query.cursor, (page) =>
      this.#options.users.listUsers({ ...page, projectIds: principal.projectIds }),
    );
  }

  async updateUser(principal: Principal, id: string, input: UpdateUserInput): Promise<UserRecord> {
    requirePermission(principal, "users:write");
    const existing = await this.#findVisible(principal, id);
    this.#refuseOwnerChangeByNonOwner(principal, existing);
    let current = existing;
    const now = this.#options.clock.now();
    if (input.name !== undefined || input.email !== undefined) {
      const patch = {
        ...(input.name === undefined ? {} : { name: checkName(input.name) }),
        ...(input.email === undefined ? {} : { email: normalizeEmail(input.email) }),
      };
      const updated = await this.#options.users.updateUser(id, patch, now, (user) => [
        userAudit(principal, "user.updated", user, changes(existing, user), now),
      ]);
      if (updated === null) throw notFound();
      current = updated;
    }
    if (input.role !== undefined) {
      const roles = await this.#bindings(principal, input.role, input.projectIds ?? null);
      this.#options.auth.requireStepUp(principal);
      const updated = await this.#options.users.setUserRoles(id, roles, now, (user) => [
        userAudit(
          principal,
          "user.roles_changed",
          user,
          { roles: { from: toJson(current.roles), to: toJson(user.roles) } },
          now,
        ),
      ]);
      if (updated === null) throw notFound();
      current = updated;
    } else if (input.projectIds !== undefined) {
      throw invalidField("/projectIds", "projectIds is only accepted with role");
    }
    return current;
  }

  async deleteUser(principal: Principal, id: string): Promise<UserRecord> {
    requirePermission(principal, "users:write");
    const existing = await this.#findVisible(principal, id);
    this.#refuseOwnerChangeByNonOwner(principal, existing);
    if (principal.user?.id === id) throw new KeywardError("CONFLICT", "You cannot delete your own account.");
    this.#options.auth.requireStepUp(principal);
    const now = this.#options.clock.now();
    const deleted = await this.#options.users.deleteUser(id, (user) => [
      userAudit(principal, "user.deleted", user, recordDiff(user, USER_AUDIT_FIELDS), now),
    ]);
    if (deleted === null) throw notFound();
    return deleted;
  }

  /**
   * Invites someone to become a user with one role: the same permission, role-granting rules and step-up as
   * {@link createUser}. Returns the invitation and its `kwi_` secret, which is shown this once.
   */
  async invite(principal: Principal, input: InviteInput): Promise<CreatedInvitation> {
    requirePermission(principal, "users:write");
    const email = normalizeEmail(input.email);
    const hours = input.expiresInHours ?? INVITATION_EXPIRY_HOURS.default;
    if (
      !Number.isInteger(hours) ||
      hours < INVITATION_EXPIRY_HOURS.min ||
      hours > INVITATION_EXPIRY_HOURS.max
    ) {
      throw invalidField(
        "/expiresInHours",
        `expiresInHours must be a whole number from ${INVITATION_EXPIRY_HOURS.min} to ${INVITATION_EXPIRY_HOURS.max}`,
      );
    }
    // The store keeps one binding per invitation; a role in several projects is added after acceptance.
    if (input.projectIds != null && new Set(input.projectIds).size > 1) {
      throw invalidField("/projectIds", "an invitation binds its role in one project, or instance-wide");
    }
    const [binding] = await this.#bindings(principal, input.role, input.projectIds ?? null);
    if (binding === undefined) throw new Error("#bindings() returned no binding");
    this.#options.auth.requireStepUp(principal);
    if ((await this.#options.users.findCredentialsByEmail(email)) !== null) {
      throw new KeywardError("CONFLICT", "A user has this email already.");
    }
    const now = this.#options.clock.now();
    const token = generateKey({ prefix: INVITATION_PREFIX });
    const invitation: InvitationRecord = {
      id: newId("inv", { now }),
      email,
      role: binding.role,
      projectId: binding.projectId,
      createdBy: principal.tokenId,
      createdAt: now,
      expiresAt: now + hours * 3_600_000,
      acceptedAt: null,
    };
    const entry = auditEntry(
      principal,
      {
        action: "invitation.created",
        target: { type: "invitation", id: invitation.id },
        projectId: invitation.projectId,
        // Never the secret: only what the invitation grants, to whom, until when.
        diff: recordDiff(invitation, ["email", "role", "projectId", "expiresAt"]),
      },
      now,
    );
    await this.#options.users.createInvitation(invitation, invitationDigest(token), [entry]);
    return { invitation, token };
  }

  /**
   * Accepts an invitation: creates its user, with the invited email and role and the name and password given,
   * once, before it expires. An unknown, expired or used secret gets one answer (UNAUTHORIZED) that tells none
   * apart. Attempts count against the source address like logins (TOO_MANY_LOGIN_ATTEMPTS).
   */
  async acceptInvitation(input: AcceptInvitationInput): Promise<UserRecord> {
    const origin = input.origin ?? null;
    await this.#options.auth.chargeAddressAttempt(origin);
    const parsed = parseKey(input.token);
    if (parsed === null || parsed.prefix !== INVITATION_PREFIX) throw invalidInvitation();
    const invitation = await this.#options.users.findInvitationByDigest(invitationDigest(input.token));
    const now = this.#options.clock.now();
    if (invitation === null || invitation.acceptedAt !== null || now >= invitation.expiresAt) {
      throw invalidInvitation();
    }
    const name = checkName(input.name);
    const password = normalizePassword(input.password);
    const check = checkPassword(password, {
      twoFactor: false,
      email: invitation.email,
      name,
      isCommon: this.#options.isCommonPassword,
    });
    if (!check.ok) throw passwordPolicyError(check.reasons);
    // The account's email and role come from the invitation only: the request cannot name them.
    const record: UserRecord = {
      id: newId("usr", { now }),
      email: invitation.email,
      name,
      roles: [{ role: invitation.role, projectId: invitation.projectId }],
      twoFactorEnabled: false,
      hasPassword: true,
      createdBy: invitation.createdBy,
      createdAt: now,
      updatedAt: now,
    };
    const entry = auditEntry(
      { type: "user", id: record.id, name: record.email },
      {
        action: "invitation.accepted",
        target: { type: "user", id: record.id },
        projectId: invitation.projectId,
        diff: { invitationId: invitation.id, ...recordDiff(record, USER_AUDIT_FIELDS) },
      },
      now,
    );
    const accepted = await this.#options.users.acceptInvitation(
      invitation.id,
      { record, passwordHash: await this.#options.hasher.hash(password) },
      now,
      [origin === null ? entry : { ...entry, ...originFields(origin) }],
    );
    // Another request accepted it first (or it expired while the password was hashed).
    if (!accepted) throw invalidInvitation();
    return record;
  }

  /** The bindings a role and projects name, checked against what the caller may grant. */
  async #bindings(
    principal: Principal,
    role: string,
    projectIds: readonly string[] | null,
  ): Promise<RoleBinding[]> {
    if (!isRole(role))
      throw invalidField("/role", "role must be one of owner, admin, developer, auditor, viewer");
    if (role === "owner" && !isOwner(principal)) {
      throw new KeywardError("FORBIDDEN", "Only an owner can grant the owner role.");
    }
    if (projectIds === null) {
      if (principal.projectIds !== null) {
        throw new KeywardError(
          "FORBIDDEN",
          "A caller limited to some projects cannot grant instance-wide roles.",
        );
      }
      return [{ role, projectId: null }];
    }
    const unique = [...new Set(projectIds)];
    if (unique.length === 0)
      throw invalidField("/projectIds", "projectIds must name at least one project, or be null");
    for (const projectId of unique) {
      if (!canAccessProject(principal, projectId))
        throw invalidField("/projectIds", "every project must be one you manage");
    }
    if (!(await this.#options.projects.allExist(unique))) {
      throw invalidField("/projectIds", "every entry of projectIds must name an existing project");
    }
    return unique.map((projectId) => ({ role: role as Role, projectId }));
  }

  /** An admin changes everyone but owners. */
  #refuseOwnerChangeByNonOwner(principal: Principal, target: UserRecord): void {
    if (target.roles.some((r) => r.role === "owner") && !isOwner(principal)) {
      throw new KeywardError("FORBIDDEN", "Only an owner can change or remove an owner.");
    }
  }

  /** A user the principal may see: bound to one of its projects, or any user for an instance-wide principal. */
  async #findVisible(principal: Principal, id: string): Promise<UserRecord> {
    const user = await this.#options.users.findUser(id);
    if (user === null) throw notFound();
    const limited = principal.projectIds;
    if (limited !== null && !user.roles.some((r) => r.projectId !== null && limited.includes(r.projectId))) {
      throw notFound();
    }
    return user;
  }
}

/**
 * An owner: a user bound to the owner role instance-wide, or an admin token holding every permission on every
 * project (the root token made at init, or one minted from it).
 */
function isOwner(principal: Principal): boolean {
  if (principal.user !== undefined) return principal.user.isOwner;
  return principal.projectIds === null && holdsPermission(principal.permissions, "*");
}

/** Emails are compared case-insensitively: kept lowercased and trimmed; a plain shape check, no regex. */
export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  const at = email.indexOf("@");
  if (
    email.length === 0 ||
    email.length > USER_LIMITS.emailLength ||
    at < 1 ||
    at !== email.lastIndexOf("@") ||
    at === email.length - 1 ||
    email.includes(" ")
  ) {
    throw invalidField("/email", "email must be an address such as ada@example.com");
  }
  return email;
}

function checkName(input: string): string {
  const name = input.trim();
  if (name.length === 0 || name.length > USER_LIMITS.nameLength) {
    throw invalidField("/name", `name must be 1 to ${USER_LIMITS.nameLength} characters`);
  }
  return name;
}

function changes(before: UserRecord, after: UserRecord): AuditEntryContent["diff"] {
  return {
    ...(before.name === after.name ? {} : { name: { from: before.name, to: after.name } }),
    ...(before.email === after.email ? {} : { email: { from: before.email, to: after.email } }),
  };
}

function toJson(roles: readonly RoleBinding[]) {
  return roles.map((r) => ({ role: r.role, projectId: r.projectId }));
}

function userAudit(
  principal: Principal,
  action: string,
  user: UserRecord,
  diff: AuditEntryContent["diff"],
  now: number,
): AuditEntryContent {
  return auditEntry(principal, { action, target: { type: "user", id: user.id }, projectId: null, diff }, now);
}

/** The digest an invitation is stored and found by; its secret is 256-bit random, so one SHA-256 suffices. */
export function invitationDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

function originFields(origin: RequestOrigin) {
  return { sourceIp: origin.sourceIp, userAgent: origin.userAgent, requestId: origin.requestId };
}

/** One answer for every unusable invitation, so a guess learns nothing; it never quotes the secret. */
function invalidInvitation(): KeywardError {
  return new KeywardError("UNAUTHORIZED", "This invitation is not valid or has expired.");
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No user has this id.");
}
