import { scopeGrants } from "./scopes.js";

/** Every permission an admin token can hold; `*` holds them all, `keys:*` every `keys:` permission. */
export const PERMISSIONS = [
  "alerts:read",
  "alerts:write",
  "audit:read",
  "audit:write",
  "identities:read",
  "identities:write",
  "keys:create",
  "keys:read",
  "keys:update",
  "keys:revoke",
  "keys:rotate",
  "keys:verify",
  "keys:reveal",
  "metrics:read",
  "projects:read",
  "projects:write",
  "ratelimit:limit",
  "ratelimit:read",
  "ratelimit:write",
  "rbac:read",
  "rbac:write",
  "secrets:read",
  "secrets:write",
  "secrets:reveal",
  "tokens:read",
  "tokens:write",
  "usage:read",
  "users:read",
  "users:write",
  "webhooks:read",
  "webhooks:write",
] as const;

/** A concrete permission a route can require. */
export type Permission = (typeof PERMISSIONS)[number];

/** True when `permission` is a known permission or a wildcard that covers at least one. */
export function isKnownPermission(permission: string): boolean {
  return permission === "*" || PERMISSIONS.some((p) => p === permission || scopeGrants(permission, p));
}

/** True when the held permissions include `needed` (exactly or through a wildcard). */
export function holdsPermission(held: readonly string[], needed: string): boolean {
  return held.some((p) => scopeGrants(p, needed));
}

/**
 * True when every permission in `requested` is covered by `held`: a token may only mint tokens with
 * permissions it holds itself. A requested wildcard is covered only by an equal or broader held wildcard.
 */
export function coversPermissions(held: readonly string[], requested: readonly string[]): boolean {
  return requested.every((r) => holdsPermission(held, r));
}
