import type { KeyPolicySettings } from "@keyward/core/key-policies.js";
import type { KeyRecord, QuotaRefill, RateLimitRule } from "@keyward/core/key-record.js";
import type { ProjectRecord, RateLimitOverride, TokenRecord } from "./records.js";

// The rows the SQL stores read, and their records: one definition for both dialects, whose columns are the same.

/** A row of `keys` joined with its usage. */
export interface KeyRow {
  id: string;
  project_id: string;
  digest: Buffer;
  start: string;
  name: string | null;
  owner_id: string | null;
  scopes: string;
  /** JSON array of role ids. */
  roles: string;
  meta: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  /** INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL. */
  enabled: number | boolean;
  revoked_at: number | null;
  revoked_reason: string | null;
  replaced_by: string | null;
  replaces: string | null;
  rate_limits: string;
  ip_allowlist: string | null;
  /** INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL. */
  canary: number | boolean;
  pepper_version: number;
  last_used_at: number | null;
  quota_pool_id: string | null;
  quota_remaining: number | null;
  quota_refill_amount: number | null;
  quota_refill_interval: string | null;
  quota_refilled_at: number | null;
}

/** A row of `tokens`. */
export interface TokenRow {
  id: string;
  digest: Buffer;
  start: string;
  name: string;
  permissions: string;
  project_ids: string | null;
  created_by: string | null;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  pepper_version: number;
}

/** A row of `projects`. */
export interface ProjectRow {
  id: string;
  name: string;
  key_prefix: string;
  policies: string;
  ip_allowlist: string | null;
  timezone: string;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  recoverable_keys: number | boolean;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  require_2fa: number | boolean;
  created_at: number;
}

/** A row of `ratelimit_overrides`. */
export interface OverrideRow {
  namespace: string;
  identifier: string;
  limit: number;
  window_ms: number;
  created_at: number;
}

/** A row as its record. */
export function toOverride(row: OverrideRow): RateLimitOverride {
  return {
    namespace: row.namespace,
    identifier: row.identifier,
    limit: row.limit,
    windowMs: row.window_ms,
    createdAt: row.created_at,
  };
}

/** A row as its record. */
export function toProject(row: ProjectRow): ProjectRecord {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.key_prefix,
    policies: JSON.parse(row.policies) as KeyPolicySettings,
    ipAllowlist: row.ip_allowlist === null ? null : (JSON.parse(row.ip_allowlist) as string[]),
    timezone: row.timezone,
    recoverableKeys: row.recoverable_keys === true || row.recoverable_keys === 1,
    require2fa: row.require_2fa === true || row.require_2fa === 1,
    createdAt: row.created_at,
  };
}

/** A key row as a record. */
export function toKey(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    ownerId: row.owner_id,
    start: row.start,
    scopes: JSON.parse(row.scopes) as string[],
    roles: JSON.parse(row.roles) as string[],
    meta: JSON.parse(row.meta) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    enabled: row.enabled === true || row.enabled === 1,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    lastUsedAt: row.last_used_at,
    replacedBy: row.replaced_by,
    replaces: row.replaces,
    rateLimits: JSON.parse(row.rate_limits) as RateLimitRule[],
    quota:
      row.quota_remaining === null
        ? null
        : {
            poolId: row.quota_pool_id ?? row.id,
            remaining: row.quota_remaining,
            refill:
              row.quota_refill_amount === null
                ? null
                : {
                    amount: row.quota_refill_amount,
                    interval: row.quota_refill_interval as QuotaRefill["interval"],
                  },
            refilledAt: row.quota_refilled_at ?? 0,
          },
    ipAllowlist: row.ip_allowlist === null ? null : (JSON.parse(row.ip_allowlist) as string[]),
    canary: row.canary === true || row.canary === 1,
  };
}

/** A row as its record. */
export function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    permissions: JSON.parse(row.permissions) as string[],
    projectIds: row.project_ids === null ? null : (JSON.parse(row.project_ids) as string[]),
    start: row.start,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
