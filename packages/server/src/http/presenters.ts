import { KEY_POLICY_NAMES, type KeyPolicySettings } from "@keyward/core/key-policies.js";
import { invalidField } from "@keyward/core/keyward-error.js";
import type { KeyView } from "../services/key-service.js";
import type { RatelimitResult } from "../services/ratelimit-service.js";
import type { ProjectRecord, RateLimitOverride, TokenRecord } from "../store/records.js";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch milliseconds as an ISO 8601 UTC string, or null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** A key record as JSON: explicit fields only, so nothing internal can leak by accident. */
export function presentKey(key: KeyView) {
  return {
    id: key.id,
    projectId: key.projectId,
    name: key.name,
    ownerId: key.ownerId,
    start: key.start,
    scopes: key.scopes,
    roles: key.roles,
    meta: key.meta,
    createdAt: iso(key.createdAt),
    updatedAt: iso(key.updatedAt),
    expiresAt: isoOrNull(key.expiresAt),
    enabled: key.enabled,
    revokedAt: isoOrNull(key.revokedAt),
    revokedReason: key.revokedReason,
    lastUsedAt: isoOrNull(key.lastUsedAt),
    replacedBy: key.replacedBy,
    replaces: key.replaces,
    rotationDue: key.rotationDue,
    rateLimits: key.rateLimits.map((rule) => ({
      name: rule.name,
      limit: rule.limit,
      windowMs: rule.windowMs,
    })),
    quota:
      key.quota === null
        ? null
        : {
            remaining: key.quota.remaining,
            refill:
              key.quota.refill === null
                ? null
                : { amount: key.quota.refill.amount, interval: key.quota.refill.interval },
            // 0 is "before the first refill", not the epoch.
            refilledAt: key.quota.refilledAt === 0 ? null : iso(key.quota.refilledAt),
          },
    ipAllowlist: key.ipAllowlist,
    canary: key.canary,
  };
}

/** A project as JSON, with only the policies it sets. */
export function presentProject(project: ProjectRecord) {
  const policies: KeyPolicySettings = {};
  for (const name of KEY_POLICY_NAMES) {
    const value = project.policies[name];
    if (value !== undefined) policies[name] = value;
  }
  return {
    id: project.id,
    name: project.name,
    keyPrefix: project.keyPrefix,
    policies,
    ipAllowlist: project.ipAllowlist,
    timezone: project.timezone,
    recoverableKeys: project.recoverableKeys,
    require2fa: project.require2fa,
    createdAt: iso(project.createdAt),
  };
}

/** A token record as JSON: never the digest, never the token. */
export function presentToken(token: TokenRecord) {
  return {
    id: token.id,
    name: token.name,
    permissions: token.permissions,
    projectIds: token.projectIds,
    start: token.start,
    createdBy: token.createdBy,
    createdAt: iso(token.createdAt),
    revokedAt: isoOrNull(token.revokedAt),
    lastUsedAt: isoOrNull(token.lastUsedAt),
  };
}

/** A standalone limit check's answer as JSON; `overridden` and `degraded` only when set. */
export function presentRatelimit(result: RatelimitResult) {
  return {
    success: result.success,
    limit: result.limit,
    remaining: result.remaining,
    resetAt: iso(result.resetAt),
    ...(result.overridden === undefined ? {} : { overridden: result.overridden }),
    ...(result.degraded === undefined ? {} : { degraded: result.degraded }),
  };
}

/** A rate limit override as JSON. */
export function presentOverride(override: RateLimitOverride) {
  return {
    namespace: override.namespace,
    identifier: override.identifier,
    limit: override.limit,
    windowMs: override.windowMs,
    createdAt: iso(override.createdAt),
  };
}

// The instants whose UTC form is an RFC 3339 date-time with a four-digit year.
const MIN_TIMESTAMP_MS = Date.parse("0000-01-01T00:00:00.000Z");
const MAX_TIMESTAMP_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** Parses an ISO 8601 timestamp from the API into epoch milliseconds; VALIDATION_ERROR names the field if it cannot. */
export function parseTimestamp(value: string | null | undefined, pointer: string): number | null | undefined {
  if (value === undefined || value === null) return value;
  const ms = Date.parse(value);
  // The schema checked RFC 3339 syntax; Date.parse still refuses a few valid strings (leap seconds). An offset can
  // carry a valid local time past year 9999 or before year 0 in UTC ("9999-12-31T23:59:59-23:59"): such an instant
  // would be stored, then fail the date-time response schema on every later read of the key (a 500).
  if (!Number.isFinite(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    throw invalidField(pointer, "must be an RFC 3339 date-time between years 0 and 9999");
  }
  return ms;
}
