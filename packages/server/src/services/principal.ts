import { KeywardError } from "@keyward/core/keyward-error.js";
import { holdsPermission } from "@keyward/core/permissions.js";

/** Who is calling: the admin token that authenticated the request. */
export interface Principal {
  tokenId: string;
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
