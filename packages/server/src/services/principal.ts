import { KeywardError } from "@keyward/core/keyward-error.js";
import { holdsPermission } from "@keyward/core/permissions.js";

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Who is calling: the admin token that authenticated the request. */
export interface Principal {
  tokenId: string;
  /** The token's name, for the audit log. */
  tokenName?: string;
  /** The HTTP request behind the call (absent for calls from inside Keyward). */
  origin?: RequestOrigin;
  permissions: readonly string[];
  /** Projects the token may touch, or null for all. */
  projectIds: readonly string[] | null;
}

/** Throws FORBIDDEN unless the principal holds the permission. */
export function requirePermission(principal: Principal, permission: string): void {
  if (!holdsPermission(principal.permissions, permission)) {
    throw new KeywardError("FORBIDDEN", `This token lacks the ${permission} permission.`);
  }
}

/** True when the principal may touch resources of the project. */
export function canAccessProject(principal: Principal, projectId: string): boolean {
  return principal.projectIds === null || principal.projectIds.includes(projectId);
}
