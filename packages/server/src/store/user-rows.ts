import type { Role } from "@keyward/core/roles.js";
import type { InvitationRecord, SessionKind, SessionRecord, UserRecord } from "./user-store.js";

// The rows the SQL user stores read, and their records: one definition for both dialects, whose columns match.

/** A user row joined with one of its role bindings (role and project null when it has none). */
export interface UserRoleRow {
  id: string;
  email: string;
  name: string;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  has_password: number | boolean;
  two_factor_enabled: number | boolean;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  role: string | null;
  project_id: string | null;
}

export interface CredentialsRow {
  password_hash: string | null;
  password_changed_at: number | null;
  totp_sealed_secret: string | null;
  totp_confirmed_at: number | null;
  totp_last_step: number | null;
}

export interface SessionRow {
  id: string;
  user_id: string;
  kind: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  second_factor_at: number | null;
  revoked_at: number | null;
  source_ip: string | null;
  user_agent: string | null;
}

export interface InvitationRow {
  id: string;
  email: string;
  role: string;
  project_id: string | null;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
}

/** The columns of a user record, never the hash or the secret themselves; `u` is the users table. */
export const USER_COLUMNS =
  "u.id, u.email, u.name, u.password_hash IS NOT NULL AS has_password, u.totp_confirmed_at IS NOT NULL AS two_factor_enabled, u.created_by, u.created_at, u.updated_at";
export const CREDENTIAL_COLUMNS =
  "u.password_hash, u.password_changed_at, u.totp_sealed_secret, u.totp_confirmed_at, u.totp_last_step";
/**
 * Users (the rows `usersWhere` selects from `users AS u`) each joined with their role bindings, in one statement:
 * a page of users and their roles are read together, from one snapshot, without a query per user. Bindings come
 * instance-wide first, then by project id. `byteOrder` is PostgreSQL's ` COLLATE "C"`, so ids order as in SQLite.
 */
export function usersWithRoles(usersWhere: string, extraColumns = "", byteOrder = ""): string {
  return `SELECT ${USER_COLUMNS}${extraColumns}, r.role, r.project_id
            FROM (SELECT * FROM users AS u ${usersWhere}) AS u
            LEFT JOIN user_roles AS r ON r.user_id = u.id
           ORDER BY u.id${byteOrder}, r.scope${byteOrder}`;
}
export const SESSION_COLUMNS =
  "id, user_id, kind, created_at, last_seen_at, expires_at, second_factor_at, revoked_at, source_ip, user_agent";
export const INVITATION_COLUMNS =
  "id, email, role, project_id, created_by, created_at, expires_at, accepted_at";

/** Folds user rows joined with their roles (ordered by user id) into one record per user, with its first row. */
export function groupUsers<Row extends UserRoleRow>(
  rows: readonly Row[],
): { user: UserRecord; first: Row }[] {
  const groups: { user: UserRecord; first: Row }[] = [];
  for (const row of rows) {
    let group = groups.at(-1);
    if (group === undefined || group.user.id !== row.id) {
      group = {
        first: row,
        user: {
          id: row.id,
          email: row.email,
          name: row.name,
          roles: [],
          twoFactorEnabled: row.two_factor_enabled === 1 || row.two_factor_enabled === true,
          hasPassword: row.has_password === 1 || row.has_password === true,
          createdBy: row.created_by,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        },
      };
      groups.push(group);
    }
    if (row.role !== null) group.user.roles.push({ role: row.role as Role, projectId: row.project_id });
  }
  return groups;
}

export function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind as SessionKind,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    secondFactorAt: row.second_factor_at,
    revokedAt: row.revoked_at,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
  };
}

export function toInvitation(row: InvitationRow): InvitationRecord {
  return {
    id: row.id,
    email: row.email,
    role: row.role as Role,
    projectId: row.project_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    acceptedAt: row.accepted_at,
  };
}
