import type { RoleBinding } from "@keyward/core/roles.js";
import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase, Queryable } from "./postgres-database.js";
import { POSTGRES_BYTE_ORDER } from "./project-page-sql.js";
import type { ChangeEffect, EffectsFor, PageQuery } from "./records.js";
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

/** The PostgreSQL {@link UserStore}, sharing its pool (and transactions) with the key store. */
export class PostgresUserStore implements UserStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async countUsers(): Promise<number> {
    const { rows } = await this.#database.query<{ n: number }>("SELECT count(*) AS n FROM users");
    return rows[0]?.n ?? 0;
  }

  async createUser(user: NewUser, effects: readonly ChangeEffect[] = []): Promise<void> {
    await this.#database.transaction(async (tx) => {
      await insertUser(tx, user);
      await writeEffects(tx, effects);
    });
  }

  async findUser(id: string): Promise<UserRecord | null> {
    return readUser(this.#database, id);
  }

  async findCredentialsByEmail(email: string): Promise<UserCredentials | null> {
    return this.#readCredentials("WHERE u.email = $1", email);
  }

  async findCredentials(id: string): Promise<UserCredentials | null> {
    return this.#readCredentials("WHERE u.id = $1", id);
  }

  async listUsers(query: PageQuery & { projectIds?: readonly string[] | null }): Promise<UserRecord[]> {
    const projectIds = query.projectIds ?? null;
    if (projectIds !== null && projectIds.length === 0) return [];
    const params: unknown[] = [query.after ?? "", query.limit];
    let where = `WHERE u.id ${POSTGRES_BYTE_ORDER} > $1`;
    if (projectIds !== null) {
      params.push(projectIds);
      where +=
        " AND EXISTS (SELECT 1 FROM user_roles AS b WHERE b.user_id = u.id AND (b.project_id IS NULL OR b.project_id = ANY($3::text[])))";
    }
    const { rows } = await this.#database.query<UserRoleRow>(
      usersWithRoles(`${where} ORDER BY u.id ${POSTGRES_BYTE_ORDER} LIMIT $2`, "", ` ${POSTGRES_BYTE_ORDER}`),
      params,
    );
    return groupUsers(rows).map((group) => group.user);
  }

  async updateUser(
    id: string,
    patch: UserPatch,
    nowMs: number,
    effectsFor?: EffectsFor<UserRecord>,
  ): Promise<UserRecord | null> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        "UPDATE users SET name = coalesce($2, name), email = coalesce($3, email), updated_at = $4 WHERE id = $1",
        [id, patch.name ?? null, patch.email ?? null, nowMs],
      );
      return rowCount === 0 ? null : readAndWrite(tx, id, effectsFor);
    });
  }

  async setUserRoles(
    id: string,
    roles: readonly RoleBinding[],
    nowMs: number,
    effectsFor?: EffectsFor<UserRecord>,
  ): Promise<UserRecord | null> {
    return this.#database.transaction(async (tx) => {
      // The update locks the user's row first: two replacements of one user's roles run one after the other, the
      // second deleting what the first inserted.
      const { rowCount } = await tx.query("UPDATE users SET updated_at = $2 WHERE id = $1", [id, nowMs]);
      if (rowCount === 0) return null;
      await tx.query("DELETE FROM user_roles WHERE user_id = $1", [id]);
      await insertRoles(tx, id, roles, nowMs);
      return readAndWrite(tx, id, effectsFor);
    });
  }

  async deleteUser(id: string, effectsFor?: EffectsFor<UserRecord>): Promise<UserRecord | null> {
    return this.#database.transaction(async (tx) => {
      // Locks the row, so the record read next is the one deleted (no role change in between).
      const { rowCount } = await tx.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [id]);
      if (rowCount === 0) return null;
      const user = await readUser(tx, id);
      if (user === null) return null;
      // Roles, sessions and recovery codes go by ON DELETE CASCADE.
      await tx.query("DELETE FROM users WHERE id = $1", [id]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(user));
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
    const [sql, params] = change.passwordChanged
      ? [
          "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1",
          [id, passwordHash, change.nowMs],
        ]
      : ["UPDATE users SET password_hash = $2 WHERE id = $1", [id, passwordHash]];
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(sql, params);
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
    });
  }

  async startTotpEnrolment(id: string, sealedSecret: string, nowMs: number): Promise<boolean> {
    // The guard is in the statement: an enrolment confirmed meanwhile by another node is never overwritten.
    const { rowCount } = await this.#database.query(
      `UPDATE users SET totp_sealed_secret = $2, totp_last_step = NULL, updated_at = $3
        WHERE id = $1 AND totp_confirmed_at IS NULL`,
      [id, sealedSecret, nowMs],
    );
    return rowCount > 0;
  }

  async confirmTotp(
    id: string,
    confirmation: { step: number; nowMs: number; recoveryCodeDigests: readonly Buffer[] },
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    const { step, nowMs, recoveryCodeDigests } = confirmation;
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE users SET totp_confirmed_at = $2, totp_last_step = $3, updated_at = $2
          WHERE id = $1 AND totp_sealed_secret IS NOT NULL AND totp_confirmed_at IS NULL`,
        [id, nowMs, step],
      );
      if (rowCount === 0) return false;
      await tx.query("DELETE FROM user_recovery_codes WHERE user_id = $1", [id]);
      if (recoveryCodeDigests.length > 0) {
        await tx.query(
          "INSERT INTO user_recovery_codes (user_id, code_digest, used_at) SELECT $1, d, NULL FROM unnest($2::bytea[]) AS d",
          [id, recoveryCodeDigests],
        );
      }
      await writeEffects(tx, effects);
      return true;
    });
  }

  async useTotpStep(id: string, step: number): Promise<boolean> {
    // One conditional write: a concurrent update of the row makes PostgreSQL re-check the guard on the row as
    // committed, so of two nodes accepting the same code only one changes it.
    const { rowCount } = await this.#database.query(
      `UPDATE users SET totp_last_step = $2
        WHERE id = $1 AND totp_confirmed_at IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)`,
      [id, step],
    );
    return rowCount > 0;
  }

  async disableTotp(id: string, nowMs: number, effects: readonly ChangeEffect[] = []): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE users SET totp_sealed_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = $2
          WHERE id = $1 AND totp_sealed_secret IS NOT NULL`,
        [id, nowMs],
      );
      if (rowCount === 0) return false;
      await tx.query("DELETE FROM user_recovery_codes WHERE user_id = $1", [id]);
      await writeEffects(tx, effects);
      return true;
    });
  }

  async useRecoveryCode(id: string, digest: Buffer, nowMs: number): Promise<boolean> {
    const { rowCount } = await this.#database.query(
      "UPDATE user_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_digest = $2 AND used_at IS NULL",
      [id, digest, nowMs],
    );
    return rowCount > 0;
  }

  async countUnusedRecoveryCodes(id: string): Promise<number> {
    const { rows } = await this.#database.query<{ n: number }>(
      "SELECT count(*) AS n FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
      [id],
    );
    return rows[0]?.n ?? 0;
  }

  async createSession(
    session: SessionRecord,
    secretDigest: Buffer,
    effects: readonly ChangeEffect[] = [],
  ): Promise<void> {
    const s = session;
    await this.#database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO sessions (${SESSION_COLUMNS}, secret_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
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
        ],
      );
      await writeEffects(tx, effects);
    });
  }

  async findSessionByDigest(secretDigest: Buffer): Promise<SessionRecord | null> {
    // Every request of a signed-in user looks its session up: planned once per connection.
    const { rows } = await this.#database.queryPrepared<SessionRow>(
      "keyward_find_session_by_digest",
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE secret_digest = $1`,
      [secretDigest],
    );
    return rows[0] === undefined ? null : toSession(rows[0]);
  }

  async findSession(id: string): Promise<SessionRecord | null> {
    const { rows } = await this.#database.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? null : toSession(rows[0]);
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const { rows } = await this.#database.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id ${POSTGRES_BYTE_ORDER} DESC`,
      [userId],
    );
    return rows.map(toSession);
  }

  async touchSession(id: string, nowMs: number): Promise<void> {
    // Forward only: a request that started earlier but finished later never moves the time back.
    await this.#database.query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2", [
      id,
      nowMs,
    ]);
  }

  async recordSecondFactor(id: string, nowMs: number): Promise<void> {
    await this.#database.query(
      "UPDATE sessions SET second_factor_at = $2 WHERE id = $1 AND (second_factor_at IS NULL OR second_factor_at < $2)",
      [id, nowMs],
    );
  }

  async revokeSession(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<SessionRecord>,
  ): Promise<SessionRecord | null> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        [id, nowMs],
      );
      const { rows } = await tx.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [
        id,
      ]);
      if (rows[0] === undefined) return null;
      const session = toSession(rows[0]);
      // Only the call that revoked the session writes its effects.
      if (rowCount > 0 && effectsFor !== undefined) await writeEffects(tx, effectsFor(session));
      return session;
    });
  }

  async revokeUserSessions(userId: string, nowMs: number): Promise<number> {
    const { rowCount } = await this.#database.query(
      "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
      [userId, nowMs],
    );
    return rowCount;
  }

  async pruneSessions(beforeMs: number): Promise<number> {
    const { rowCount } = await this.#database.query(
      "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1",
      [beforeMs],
    );
    return rowCount;
  }

  async createInvitation(
    invitation: InvitationRecord,
    secretDigest: Buffer,
    effects: readonly ChangeEffect[] = [],
  ): Promise<void> {
    const i = invitation;
    await this.#database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO invitations (${INVITATION_COLUMNS}, secret_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          i.id,
          i.email,
          i.role,
          i.projectId,
          i.createdBy,
          i.createdAt,
          i.expiresAt,
          i.acceptedAt,
          secretDigest,
        ],
      );
      await writeEffects(tx, effects);
    });
  }

  async findInvitationByDigest(secretDigest: Buffer): Promise<InvitationRecord | null> {
    const { rows } = await this.#database.query<InvitationRow>(
      `SELECT ${INVITATION_COLUMNS} FROM invitations WHERE secret_digest = $1`,
      [secretDigest],
    );
    return rows[0] === undefined ? null : toInvitation(rows[0]);
  }

  async acceptInvitation(
    invitationId: string,
    user: NewUser,
    nowMs: number,
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      // Accepted first, in the statement's guard: a concurrent acceptance waits for this row's lock, then finds it
      // accepted and changes nothing.
      const { rowCount } = await tx.query(
        "UPDATE invitations SET accepted_at = $2 WHERE id = $1 AND accepted_at IS NULL AND expires_at > $2",
        [invitationId, nowMs],
      );
      if (rowCount === 0) return false;
      // A taken email throws CONFLICT, which rolls the acceptance back with it.
      await insertUser(tx, user);
      await writeEffects(tx, effects);
      return true;
    });
  }

  async #readCredentials(where: string, value: string): Promise<UserCredentials | null> {
    const { rows } = await this.#database.query<UserRoleRow & CredentialsRow>(
      usersWithRoles(where, `, ${CREDENTIAL_COLUMNS}`, ` ${POSTGRES_BYTE_ORDER}`),
      [value],
    );
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
}

/** The user row and its role bindings. */
async function insertUser(tx: Queryable, user: NewUser): Promise<void> {
  const r = user.record;
  await tx.query(
    `INSERT INTO users (id, email, name, password_hash, password_changed_at, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      r.id,
      r.email,
      r.name,
      user.passwordHash,
      user.passwordHash === null ? null : r.createdAt,
      r.createdBy,
      r.createdAt,
      r.updatedAt,
    ],
  );
  await insertRoles(tx, r.id, r.roles, r.createdAt);
}

/** Two bindings of one scope are a CONFLICT (the primary key is the user and the scope). */
async function insertRoles(
  tx: Queryable,
  userId: string,
  roles: readonly RoleBinding[],
  nowMs: number,
): Promise<void> {
  if (roles.length === 0) return;
  await tx.query(
    `INSERT INTO user_roles (user_id, scope, role, project_id, created_at)
     SELECT $1, coalesce(b.project_id, ''), b.role, b.project_id, $4
       FROM unnest($2::text[], $3::text[]) AS b (role, project_id)`,
    [userId, roles.map((b) => b.role), roles.map((b) => b.projectId), nowMs],
  );
}

async function readUser(db: Queryable, id: string): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRoleRow>(
    usersWithRoles("WHERE u.id = $1", "", ` ${POSTGRES_BYTE_ORDER}`),
    [id],
  );
  return groupUsers(rows)[0]?.user ?? null;
}

/** Inside a transaction: the user as it now is, and the effects of the change that made it so. */
async function readAndWrite(
  tx: Queryable,
  id: string,
  effectsFor: EffectsFor<UserRecord> | undefined,
): Promise<UserRecord | null> {
  const user = await readUser(tx, id);
  if (user !== null && effectsFor !== undefined) await writeEffects(tx, effectsFor(user));
  return user;
}
