import type { RoleBinding } from "@keyward/core/roles.js";
import type { ChangeEffect, EffectsFor, PageQuery } from "./records.js";
import { writeEffects } from "./sqlite-change-effects.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import {
  CREDENTIAL_COLUMNS,
  type CredentialsRow,
  groupUsers,
  INVITATION_COLUMNS,
  type InvitationRow,
  SESSION_COLUMNS,
  type SessionRow,
  toInvitation,
  toSession,
  type UserRoleRow,
  usersWithRoles,
} from "./user-rows.js";
import type {
  InvitationRecord,
  NewUser,
  SessionRecord,
  UserCredentials,
  UserPatch,
  UserRecord,
  UserStore,
} from "./user-store.js";

/** The SQLite {@link UserStore}, sharing its connection (and transactions) with the key store. */
export class SqliteUserStore implements UserStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async countUsers(): Promise<number> {
    return (this.#database.run("SELECT count(*) AS n FROM users", "get") as { n: number }).n;
  }

  async createUser(user: NewUser, effects: readonly ChangeEffect[] = []): Promise<void> {
    this.#database.write(() => {
      this.#insertUser(user);
      writeEffects(this.#database, effects);
    });
  }

  async findUser(id: string): Promise<UserRecord | null> {
    return this.#readUser(id);
  }

  async findCredentialsByEmail(email: string): Promise<UserCredentials | null> {
    return this.#readCredentials("WHERE u.email = ?", email);
  }

  async findCredentials(id: string): Promise<UserCredentials | null> {
    return this.#readCredentials("WHERE u.id = ?", id);
  }

  async listUsers(query: PageQuery & { projectIds?: readonly string[] | null }): Promise<UserRecord[]> {
    const projectIds = query.projectIds ?? null;
    if (projectIds !== null && projectIds.length === 0) return [];
    const where = ["u.id > ?"];
    const params: unknown[] = [query.after ?? ""];
    if (projectIds !== null) {
      where.push(
        `EXISTS (SELECT 1 FROM user_roles AS b WHERE b.user_id = u.id AND (b.project_id IS NULL OR b.project_id IN (${projectIds.map(() => "?").join(", ")})))`,
      );
      params.push(...projectIds);
    }
    const sql = usersWithRoles(`WHERE ${where.join(" AND ")} ORDER BY u.id LIMIT ?`);
    return groupUsers(this.#database.run(sql, "all", ...params, query.limit) as UserRoleRow[]).map(
      (group) => group.user,
    );
  }

  async updateUser(
    id: string,
    patch: UserPatch,
    nowMs: number,
    effectsFor?: EffectsFor<UserRecord>,
  ): Promise<UserRecord | null> {
    return this.#database.write((): UserRecord | null => {
      const { changes } = this.#database
        .statement(
          "UPDATE users SET name = coalesce(?, name), email = coalesce(?, email), updated_at = ? WHERE id = ?",
        )
        .run(patch.name ?? null, patch.email ?? null, nowMs, id);
      return changes === 0 ? null : this.#readAndWrite(id, effectsFor);
    });
  }

  async setUserRoles(
    id: string,
    roles: readonly RoleBinding[],
    nowMs: number,
    effectsFor?: EffectsFor<UserRecord>,
  ): Promise<UserRecord | null> {
    return this.#database.write((): UserRecord | null => {
      const { changes } = this.#database
        .statement("UPDATE users SET updated_at = ? WHERE id = ?")
        .run(nowMs, id);
      if (changes === 0) return null;
      this.#database.statement("DELETE FROM user_roles WHERE user_id = ?").run(id);
      this.#insertRoles(id, roles, nowMs);
      return this.#readAndWrite(id, effectsFor);
    });
  }

  async deleteUser(id: string, effectsFor?: EffectsFor<UserRecord>): Promise<UserRecord | null> {
    return this.#database.write((): UserRecord | null => {
      const user = this.#readUser(id);
      if (user === null) return null;
      // Roles, sessions and recovery codes go by ON DELETE CASCADE.
      this.#database.statement("DELETE FROM users WHERE id = ?").run(id);
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(user));
      return user;
    });
  }

  async setPasswordHash(
    id: string,
    passwordHash: string,
    change: { nowMs: number; passwordChanged: boolean },
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    // A rehash on login keeps the user's times: only a new password is a change of the user.
    const sql = change.passwordChanged
      ? "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?"
      : "UPDATE users SET password_hash = ? WHERE id = ?";
    const params = change.passwordChanged
      ? [passwordHash, change.nowMs, change.nowMs, id]
      : [passwordHash, id];
    return this.#database.write(() => {
      const { changes } = this.#database.statement(sql).run(...params);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async startTotpEnrolment(id: string, sealedSecret: string, nowMs: number): Promise<boolean> {
    // The guard is in the statement: an enrolment confirmed meanwhile by another node is never overwritten.
    const { changes } = this.#database.run(
      `UPDATE users SET totp_sealed_secret = ?, totp_last_step = NULL, updated_at = ?
        WHERE id = ? AND totp_confirmed_at IS NULL`,
      "run",
      sealedSecret,
      nowMs,
      id,
    ) as { changes: number };
    return changes > 0;
  }

  async confirmTotp(
    id: string,
    confirmation: { step: number; nowMs: number; recoveryCodeDigests: readonly Buffer[] },
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    const { step, nowMs, recoveryCodeDigests } = confirmation;
    return this.#database.write(() => {
      const { changes } = this.#database
        .statement(
          `UPDATE users SET totp_confirmed_at = ?, totp_last_step = ?, updated_at = ?
            WHERE id = ? AND totp_sealed_secret IS NOT NULL AND totp_confirmed_at IS NULL`,
        )
        .run(nowMs, step, nowMs, id);
      if (changes === 0) return false;
      this.#database.statement("DELETE FROM user_recovery_codes WHERE user_id = ?").run(id);
      const insert = this.#database.statement(
        "INSERT INTO user_recovery_codes (user_id, code_digest, used_at) VALUES (?, ?, NULL)",
      );
      for (const digest of recoveryCodeDigests) insert.run(id, digest);
      writeEffects(this.#database, effects);
      return true;
    });
  }

  async useTotpStep(id: string, step: number): Promise<boolean> {
    // One conditional write: of two nodes accepting the same code, only one sees a row change.
    const { changes } = this.#database.run(
      `UPDATE users SET totp_last_step = ?
        WHERE id = ? AND totp_confirmed_at IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)`,
      "run",
      step,
      id,
      step,
    ) as { changes: number };
    return changes > 0;
  }

  async disableTotp(id: string, nowMs: number, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database
        .statement(
          `UPDATE users SET totp_sealed_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = ?
            WHERE id = ? AND totp_sealed_secret IS NOT NULL`,
        )
        .run(nowMs, id);
      if (changes === 0) return false;
      this.#database.statement("DELETE FROM user_recovery_codes WHERE user_id = ?").run(id);
      writeEffects(this.#database, effects);
      return true;
    });
  }

  async useRecoveryCode(id: string, digest: Buffer, nowMs: number): Promise<boolean> {
    const { changes } = this.#database.run(
      "UPDATE user_recovery_codes SET used_at = ? WHERE user_id = ? AND code_digest = ? AND used_at IS NULL",
      "run",
      nowMs,
      id,
      digest,
    ) as { changes: number };
    return changes > 0;
  }

  async countUnusedRecoveryCodes(id: string): Promise<number> {
    return (
      this.#database.run(
        "SELECT count(*) AS n FROM user_recovery_codes WHERE user_id = ? AND used_at IS NULL",
        "get",
        id,
      ) as { n: number }
    ).n;
  }

  async createSession(
    session: SessionRecord,
    secretDigest: Buffer,
    effects: readonly ChangeEffect[] = [],
  ): Promise<void> {
    const s = session;
    this.#database.write(() => {
      this.#database
        .statement(
          `INSERT INTO sessions (${SESSION_COLUMNS}, secret_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          s.id,
          s.userId,
          s.kind,
          s.createdAt,
          s.lastSeenAt,
          s.expiresAt,
          s.secondFactorAt,
          s.revokedAt,
          s.sourceIp,
          s.userAgent,
          secretDigest,
        );
      writeEffects(this.#database, effects);
    });
  }

  async findSessionByDigest(secretDigest: Buffer): Promise<SessionRecord | null> {
    const row = this.#database.run(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE secret_digest = ?`,
      "get",
      secretDigest,
    ) as SessionRow | undefined;
    return row === undefined ? null : toSession(row);
  }

  async findSession(id: string): Promise<SessionRecord | null> {
    const row = this.#database.run(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`, "get", id) as
      | SessionRow
      | undefined;
    return row === undefined ? null : toSession(row);
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const rows = this.#database.run(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC`,
      "all",
      userId,
    ) as SessionRow[];
    return rows.map(toSession);
  }

  async touchSession(id: string, nowMs: number): Promise<void> {
    // Forward only: a request that started earlier but finished later never moves the time back.
    this.#database.run(
      "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
      "run",
      nowMs,
      id,
      nowMs,
    );
  }

  async recordSecondFactor(id: string, nowMs: number): Promise<void> {
    this.#database.run(
      "UPDATE sessions SET second_factor_at = ? WHERE id = ? AND (second_factor_at IS NULL OR second_factor_at < ?)",
      "run",
      nowMs,
      id,
      nowMs,
    );
  }

  async revokeSession(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<SessionRecord>,
  ): Promise<SessionRecord | null> {
    return this.#database.write((): SessionRecord | null => {
      const { changes } = this.#database
        .statement("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .run(nowMs, id);
      const row = this.#database.statement(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`).get(id) as
        | SessionRow
        | undefined;
      if (row === undefined) return null;
      const session = toSession(row);
      // Only the call that revoked the session writes its effects.
      if (changes > 0 && effectsFor !== undefined) writeEffects(this.#database, effectsFor(session));
      return session;
    });
  }

  async revokeUserSessions(userId: string, nowMs: number): Promise<number> {
    const { changes } = this.#database.run(
      "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
      "run",
      nowMs,
      userId,
      nowMs,
    ) as { changes: number };
    return changes;
  }

  async pruneSessions(beforeMs: number): Promise<number> {
    const { changes } = this.#database.run(
      "DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?",
      "run",
      beforeMs,
      beforeMs,
    ) as { changes: number };
    return changes;
  }

  async createInvitation(
    invitation: InvitationRecord,
    secretDigest: Buffer,
    effects: readonly ChangeEffect[] = [],
  ): Promise<void> {
    const i = invitation;
    this.#database.write(() => {
      this.#database
        .statement(
          `INSERT INTO invitations (${INVITATION_COLUMNS}, secret_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          i.id,
          i.email,
          i.role,
          i.projectId,
          i.createdBy,
          i.createdAt,
          i.expiresAt,
          i.acceptedAt,
          secretDigest,
        );
      writeEffects(this.#database, effects);
    });
  }

  async findInvitationByDigest(secretDigest: Buffer): Promise<InvitationRecord | null> {
    const row = this.#database.run(
      `SELECT ${INVITATION_COLUMNS} FROM invitations WHERE secret_digest = ?`,
      "get",
      secretDigest,
    ) as InvitationRow | undefined;
    return row === undefined ? null : toInvitation(row);
  }

  async acceptInvitation(
    invitationId: string,
    user: NewUser,
    nowMs: number,
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    return this.#database.write(() => {
      // Accepted first, in the statement's guard: a second acceptance (or one past the expiry) changes no row.
      const { changes } = this.#database
        .statement(
          "UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL AND expires_at > ?",
        )
        .run(nowMs, invitationId, nowMs);
      if (changes === 0) return false;
      // A taken email throws CONFLICT, which rolls the acceptance back with it.
      this.#insertUser(user);
      writeEffects(this.#database, effects);
      return true;
    });
  }

  /** Inside a write: the user row and its role bindings. */
  #insertUser(user: NewUser): void {
    const r = user.record;
    this.#database
      .statement(
        `INSERT INTO users (id, email, name, password_hash, password_changed_at, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.id,
        r.email,
        r.name,
        user.passwordHash,
        user.passwordHash === null ? null : r.createdAt,
        r.createdBy,
        r.createdAt,
        r.updatedAt,
      );
    this.#insertRoles(r.id, r.roles, r.createdAt);
  }

  /** Inside a write; two bindings of one scope are a CONFLICT (the primary key is the user and the scope). */
  #insertRoles(userId: string, roles: readonly RoleBinding[], nowMs: number): void {
    const insert = this.#database.statement(
      "INSERT INTO user_roles (user_id, scope, role, project_id, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    for (const binding of roles) {
      insert.run(userId, binding.projectId ?? "", binding.role, binding.projectId, nowMs);
    }
  }

  #readUser(id: string): UserRecord | null {
    const rows = this.#database.run(usersWithRoles("WHERE u.id = ?"), "all", id) as UserRoleRow[];
    return groupUsers(rows)[0]?.user ?? null;
  }

  #readCredentials(where: string, value: string): UserCredentials | null {
    const rows = this.#database.run(
      usersWithRoles(where, `, ${CREDENTIAL_COLUMNS}`),
      "all",
      value,
    ) as (UserRoleRow & CredentialsRow)[];
    const group = groupUsers(rows)[0];
    if (group === undefined) return null;
    const row = group.first;
    return {
      user: group.user,
      passwordHash: row.password_hash,
      passwordChangedAt: row.password_changed_at,
      totpSealedSecret: row.totp_sealed_secret,
      totpConfirmedAt: row.totp_confirmed_at,
      totpLastStep: row.totp_last_step,
    };
  }

  /** Inside a write: the user as it now is, and the effects of the change that made it so. */
  #readAndWrite(id: string, effectsFor: EffectsFor<UserRecord> | undefined): UserRecord | null {
    const user = this.#readUser(id);
    if (user !== null && effectsFor !== undefined) writeEffects(this.#database, effectsFor(user));
    return user;
  }
}
