import type { KeyRecord } from "./key-record.js";
import { evaluatePermissionQuery, type PermissionQuery, unmetPermissions } from "./permission-query.js";
import { missingScopes } from "./scopes.js";

/** Every outcome of a key verification. Outcomes are data, never thrown. */
export type VerificationCode =
  | "VALID"
  | "NOT_FOUND"
  | "REVOKED"
  | "EXPIRED"
  | "DISABLED"
  | "IP_NOT_ALLOWED"
  | "INSUFFICIENT_SCOPE"
  | "RATE_LIMITED"
  | "USAGE_EXCEEDED";

/** What a verification asks of a key beyond existing. */
export interface VerificationRequirements {
  scopes?: readonly string[];
  /**
   * A boolean query over scopes (`a AND (b OR c)`, see permission-query.ts), checked after `scopes`; a key that
   * fails it is INSUFFICIENT_SCOPE with the query's unmet names as `missingScopes`.
   */
  scopeQuery?: PermissionQuery;
  /**
   * Whether the caller's address passes the key's (or its project's) IP allowlist; undefined when neither has
   * one. The caller matches the address (see ip-allowlist.ts); an allowlisted key verified without an address is
   * not allowed.
   */
  ipAllowed?: boolean;
  /**
   * What the key holds: its scopes plus the permissions of its roles (see key-roles.ts); `key.scopes` when
   * absent.
   */
  grantedScopes?: readonly string[];
}

/** The decision about one key; `missingScopes` is set only for INSUFFICIENT_SCOPE. */
export interface VerificationDecision {
  valid: boolean;
  code: VerificationCode;
  missingScopes?: string[];
}

/**
 * Decides whether a looked-up key passes, in a fixed, documented order:
 * found → not revoked → enabled → not expired → IP allowed → scopes → scope query. The first failing check names the outcome.
 * Rate limits and quota come after these (RATE_LIMITED, USAGE_EXCEEDED) and need the limiter: see the service.
 */
export function decideVerification(
  key: KeyRecord | null,
  requirements: VerificationRequirements,
  nowMs: number,
): VerificationDecision {
  if (key === null) return { valid: false, code: "NOT_FOUND" };
  if (key.revokedAt !== null) return { valid: false, code: "REVOKED" };
  if (!key.enabled) return { valid: false, code: "DISABLED" };
  if (key.expiresAt !== null && key.expiresAt <= nowMs) return { valid: false, code: "EXPIRED" };
  if (requirements.ipAllowed === false) return { valid: false, code: "IP_NOT_ALLOWED" };
  const granted = requirements.grantedScopes ?? key.scopes;
  const missing = missingScopes(granted, requirements.scopes ?? []);
  if (missing.length > 0) return { valid: false, code: "INSUFFICIENT_SCOPE", missingScopes: missing };
  const query = requirements.scopeQuery;
  // An OR can pass with some names unmet: only a failing query is refused, and then it names all of them.
  if (query !== undefined && !evaluatePermissionQuery(query, granted)) {
    return { valid: false, code: "INSUFFICIENT_SCOPE", missingScopes: unmetPermissions(query, granted) };
  }
  return { valid: true, code: "VALID" };
}
