import type { Permission } from "./permissions.js";

/** The roles an admin user can be bound to, instance-wide or in one project. */
export const ROLES = ["owner", "admin", "developer", "auditor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Everything an auditor or viewer may read, and nothing that reveals a secret or changes state. */
const READ_METADATA: readonly Permission[] = [
  "keys:read",
  "projects:read",
  "webhooks:read",
  "secrets:read",
  "ratelimit:read",
  "rbac:read",
  "identities:read",
];

/**
 * What each role may do, in the permission names admin tokens use, so a user can mint a token only with
 * permissions the user holds. Least privilege: only owners and admins manage people; `owner` differs from `admin`
 * in that only an owner may grant, change or remove the owner role (enforced where roles change).
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly string[]>> = {
  owner: ["*"],
  admin: ["*"],
  developer: [
    "keys:create",
    "keys:read",
    "keys:update",
    "keys:rotate",
    "keys:revoke",
    "keys:verify",
    "projects:read",
    "usage:read",
    "ratelimit:limit",
    "ratelimit:read",
    // To pick roles for the keys they manage; changing the instance-wide catalogue is an admin's.
    "rbac:read",
    // Identities are instance-wide (like rate limit overrides): developers see them, admins change them.
    "identities:read",
  ],
  auditor: [
    ...READ_METADATA,
    "audit:read",
    "usage:read",
    "alerts:read",
    "tokens:read",
    "users:read",
    "metrics:read",
  ],
  viewer: [...READ_METADATA],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** One role a user holds: in every project (`projectId` null) or in one. */
export interface RoleBinding {
  role: Role;
  projectId: string | null;
}

/** The permissions a user holds in one project (`projectId`), or instance-wide (null): the union of bindings that apply. */
export function permissionsIn(bindings: readonly RoleBinding[], projectId: string | null): string[] {
  const held = new Set<string>();
  for (const binding of bindings) {
    if (binding.projectId !== null && binding.projectId !== projectId) continue;
    for (const permission of ROLE_PERMISSIONS[binding.role]) held.add(permission);
  }
  return [...held];
}

/** What a user's roles grant once a `require2fa` policy is applied (see {@link effectiveRoles}). */
export interface EffectiveRoles {
  roles: RoleBinding[];
  /** The user must enrol a second factor before anything but enrolling is allowed. */
  mustEnrol: boolean;
}

/**
 * The bindings that still apply to a user given the projects requiring two-factor authentication. A user with
 * 2FA keeps them all. A user without it loses the bindings of projects that require it, and must enrol when an
 * instance-wide binding remains while any project requires 2FA (that role would reach such a project, and
 * narrowing an instance-wide role to "every project but those" would change what it means), or when every
 * binding the user had is gone.
 */
export function effectiveRoles(
  roles: readonly RoleBinding[],
  context: { twoFactorEnabled: boolean; projectsRequiring2fa: ReadonlySet<string> },
): EffectiveRoles {
  if (context.twoFactorEnabled) return { roles: [...roles], mustEnrol: false };
  const required = context.projectsRequiring2fa;
  const kept = roles.filter((r) => r.projectId === null || !required.has(r.projectId));
  const instanceWideReachesRequired = required.size > 0 && kept.some((r) => r.projectId === null);
  const allDropped = roles.length > 0 && kept.length === 0;
  return { roles: kept, mustEnrol: instanceWideReachesRequired || allDropped };
}
