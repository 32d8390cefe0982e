import type { FieldError } from "@keyward/core/keyward-error.js";
import type { VerificationCode } from "@keyward/core/verification.js";

/** One page of a list; pass `nextCursor` back as `cursor` for the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Paging of a list request: page size (1-100, default 50) and the cursor from the previous page. */
export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** A project: a namespace of keys sharing a key prefix. */
export interface Project {
  id: string;
  name: string;
  keyPrefix: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
}

/** Body of `POST /v1/projects`. */
export interface CreateProjectInput {
  name: string;
  /** Prefix of the project's keys, `[a-z][a-z0-9_]{0,19}`; defaults to `kw`. */
  keyPrefix?: string;
}

/** A key as the API shows it: never the key itself, only its `start` for display. Times are ISO 8601. */
export interface Key {
  id: string;
  projectId: string;
  name: string | null;
  ownerId: string | null;
  start: string;
  scopes: string[];
  meta: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  enabled: boolean;
  revokedAt: string | null;
  revokedReason: string | null;
  lastUsedAt: string | null;
}

/** A newly created key: the record plus the plaintext `key`, returned this once only. */
export interface CreatedKey extends Key {
  key: string;
}

/** Body of `PATCH /v1/keys/{id}`: absent fields stay as they are; `scopes` and `meta` are replaced whole. */
export interface UpdateKeyInput {
  name?: string | null;
  ownerId?: string | null;
  scopes?: string[];
  meta?: Record<string, unknown>;
  /** A Date or ISO 8601 string; on update a time in the past expires the key now; null removes the expiry. */
  expiresAt?: Date | string | null;
  enabled?: boolean;
}

/** Body of `POST /v1/keys`: the fields of an update (with `expiresAt` in the future), plus the project. */
export interface CreateKeyInput extends UpdateKeyInput {
  /** Defaults to the instance's default project. */
  projectId?: string;
}

/** Body of `POST /v1/keys/{id}/revoke`. */
export interface RevokeKeyInput {
  reason?: string;
}

/** Filters and paging of `GET /v1/keys`. */
export interface ListKeysOptions extends PageOptions {
  projectId?: string;
  ownerId?: string;
}

/** Body of `POST /v1/keys/verify`. */
export interface VerifyKeyInput {
  key: string;
  /** Scopes the key must grant, each exactly or through a wildcard. */
  scopes?: string[];
  /** The caller's IPv4 or IPv6 address. */
  ip?: string;
}

/** The outcome of a verification; `valid: false` is an answer, not an error. Key details are set when the key exists. */
export interface VerifyKeyResult {
  valid: boolean;
  code: VerificationCode;
  keyId?: string;
  projectId?: string;
  ownerId?: string | null;
  name?: string | null;
  scopes?: string[];
  meta?: Record<string, unknown>;
  expiresAt?: string | null;
  /** Set only when `code` is INSUFFICIENT_SCOPE. */
  missingScopes?: string[];
}

/** An admin token as the API shows it: never the token itself. Times are ISO 8601. */
export interface Token {
  id: string;
  name: string;
  permissions: string[];
  /** Projects the token is limited to, or null for all. */
  projectIds: string[] | null;
  start: string;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A newly created admin token: the record plus the plaintext `token`, returned this once only. */
export interface CreatedToken extends Token {
  token: string;
}

/** Body of `POST /v1/tokens`: a token can only mint tokens with permissions it holds itself. */
export interface CreateTokenInput {
  name: string;
  permissions: string[];
  projectIds?: string[] | null;
}

/** Answer of `GET /healthz`. */
export interface HealthStatus {
  status: string;
}

/** An RFC 9457 problem document, as every Keyward error response carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
}

export type { FieldError, VerificationCode };
