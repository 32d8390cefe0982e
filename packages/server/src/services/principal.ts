import { KeywardError } from "@keyward/core/keyward-error.js";
import { holdsPermission } from "@keyward/core/permissions.js";
import { permissionsIn, type RoleBinding } from "@keyward/core/roles.js";

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** The admin user behind a session-authenticated request. */
export interface UserIdentity {
  id: string;
  email: string;
  sessionId: string;
  /** When this session last presented a second factor (login with a code, or step-up); null if never. */
  secondFactorAt: number | null;
  twoFactorEnabled: boolean;
  /** Bound to the owner role instance-wide: may grant, change and remove owners. */
  isOwner: boolean;
}

/** Who is calling: the admin token, or the admin user's session, that authenticated the request. */
export interface Principal {
  /** The token's id; for a user's session, the user's id (what `createdBy` and per-caller limits record). */
  tokenId: string;
  /** The token's name, for the audit log. */
  tokenName?: string;
  /** Set when a user's session authenticated the request (the audit actor is then the user). */
  user?: UserIdentity;
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

/**
 * The principal of a user's request to a route needing `permission`: its projects are exactly those where one
 * of the user's bindings grants that permission (all, when an instance-wide binding does), so the services'
 * project checks stay exact for a user with different roles in different projects. Its permissions are those
 * held everywhere in that scope, so a second permission a service asks for is never granted by a binding of
 * another project.
 */
export function userPrincipal(
  identity: UserIdentity,
  roles: readonly RoleBinding[],
  permission: string,
): Principal {
  const instanceWide = permissionsIn(
    roles.filter((r) => r.projectId === null),
    null,
  );
  const base = { tokenId: identity.id, tokenName: identity.email, user: identity };
  if (holdsPermission(instanceWide, permission)) {
    return { ...base, permissions: instanceWide, projectIds: null };
  }
  const projectIds = [...new Set(roles.flatMap((r) => (r.projectId === null ? [] : [r.projectId])))].filter(
    (projectId) => holdsPermission(permissionsIn(roles, projectId), permission),
  );
  if (projectIds.length === 0) {
    // No project grants it: the principal holds nothing, so the route's own check refuses with 403.
    return { ...base, permissions: [], projectIds: [] };
  }
  const heldIn = projectIds.map((projectId) => permissionsIn(roles, projectId));
  // A permission (or wildcard) stays when every project's roles cover it: `*` in one project and `keys:read`
  // in another leave `keys:read`.
  const everywhere = [...new Set(heldIn.flat())].filter((p) =>
    heldIn.every((held) => holdsPermission(held, p)),
  );
  return { ...base, permissions: everywhere, projectIds };
}
