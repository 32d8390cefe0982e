import { holdsPermission, isKnownPermission, type Permission } from "./permissions.js";

/** Keyward permissions each Unkey `api.<apiId>.<action>` grants. */
const API_ACTIONS: Readonly<Record<string, readonly Permission[]>> = {
  create_api: ["projects:write"],
  read_api: ["projects:read"],
  // deleteApi revokes the API's keys before it deletes the project.
  delete_api: ["projects:write", "keys:revoke"],
  // rerollKey creates the new key, and Keyward calls that a rotation.
  create_key: ["keys:create", "keys:rotate"],
  read_key: ["keys:read"],
  update_key: ["keys:update"],
  delete_key: ["keys:revoke"],
  verify_key: ["keys:verify"],
  encrypt_key: ["keys:reveal"],
  decrypt_key: ["keys:reveal"],
};

/** Keyward permissions each Unkey `ratelimit.*.<action>` grants. */
const RATELIMIT_ACTIONS: Readonly<Record<string, readonly Permission[]>> = {
  limit: ["ratelimit:limit"],
  set_override: ["ratelimit:write"],
  delete_override: ["ratelimit:write"],
  read_override: ["ratelimit:read"],
};

/**
 * Keyward permissions each Unkey `rbac.*.<action>` grants: the catalogue of permissions and roles is instance-wide
 * (`rbac:*`); giving keys permissions or roles changes keys (`keys:update`).
 */
const RBAC_ACTIONS: Readonly<Record<string, readonly Permission[]>> = {
  create_permission: ["rbac:write"],
  read_permission: ["rbac:read"],
  update_permission: ["rbac:write"],
  delete_permission: ["rbac:write"],
  create_role: ["rbac:write"],
  read_role: ["rbac:read"],
  update_role: ["rbac:write"],
  delete_role: ["rbac:write"],
  add_permission_to_role: ["rbac:write"],
  remove_permission_from_role: ["rbac:write"],
  add_permission_to_key: ["keys:update"],
  remove_permission_from_key: ["keys:update"],
  add_role_to_key: ["keys:update"],
  remove_role_from_key: ["keys:update"],
};

/** Keyward permissions each Unkey `identity.*.<action>` grants: identities are instance-wide. */
const IDENTITY_ACTIONS: Readonly<Record<string, readonly Permission[]>> = {
  create_identity: ["identities:write"],
  read_identity: ["identities:read"],
  update_identity: ["identities:write"],
  delete_identity: ["identities:write"],
};

/** One refused entry of the list, by its index in the list as given. */
export interface UnkeyPermissionError {
  index: number;
  detail: string;
}

/**
 * Keyward permissions, and the projects they are limited to: null when no `api.<apiId>` name limits them
 * (`api.*`, `ratelimit.*` and Keyward names are instance-wide).
 */
export type UnkeyPermissionMapping =
  | { ok: true; permissions: string[]; projectIds: string[] | null }
  | { ok: false; errors: UnkeyPermissionError[] };

/** True when `name` is in Unkey's root key permission namespace (`api.…`, `ratelimit.…`, `rbac.…`), valid or not. */
export function isUnkeyPermissionName(name: string): boolean {
  return (
    name.startsWith("api.") ||
    name.startsWith("ratelimit.") ||
    name.startsWith("rbac.") ||
    name.startsWith("identity.")
  );
}

const UNKNOWN_PERMISSION = "Each permission must be a known permission or wildcard.";
const MALFORMED =
  "An Unkey permission must read api.<apiId>.<action>, api.*.<action>, ratelimit.*.<action>, rbac.*.<action> or identity.*.<action>.";
const UNKNOWN_API_ACTION = `An Unkey api permission's action must be one of ${Object.keys(API_ACTIONS).join(", ")}.`;
const UNKNOWN_RATELIMIT_ACTION = `An Unkey ratelimit permission's action must be one of ${Object.keys(RATELIMIT_ACTIONS).join(", ")}.`;
const UNKNOWN_RBAC_ACTION = `An Unkey rbac permission's action must be one of ${Object.keys(RBAC_ACTIONS).join(", ")}.`;
const SCOPED_RBAC = "Keyward's permissions and roles are instance-wide: use rbac.*.<action>.";
const UNKNOWN_IDENTITY_ACTION = `An Unkey identity permission's action must be one of ${Object.keys(IDENTITY_ACTIONS).join(", ")}.`;
const SCOPED_IDENTITY = "Keyward's identities are instance-wide: use identity.*.<action>.";
const NAMESPACED_RATELIMIT =
  "Keyward rate limits and overrides are not per namespace: use ratelimit.*.<action>, not a namespace id.";
const MIXED_SCOPES =
  "api.* (every API) and api.<apiId> (one API) cannot be mixed: one token has one project list; mint one token per API.";
const UNEVEN_APIS =
  "One token holds the same permissions in all its projects; mint one token per API, or grant every action for every API.";

/** The action table of each Unkey namespace. */
const ACTIONS: Readonly<Record<ParsedName["root"], Readonly<Record<string, readonly Permission[]>>>> = {
  api: API_ACTIONS,
  ratelimit: RATELIMIT_ACTIONS,
  rbac: RBAC_ACTIONS,
  identity: IDENTITY_ACTIONS,
};

interface ParsedName {
  root: "api" | "ratelimit" | "rbac" | "identity";
  /** `*` or an API id (a project id) or a namespace; never empty, never containing a dot. */
  scope: string;
  action: string;
}

/**
 * Splits `api.<scope>.<action>` at its first and last dots. Ids contain no dots, so a name with more than two
 * is malformed; indexOf keeps this linear and regex-free on untrusted input.
 */
function parseName(name: string): ParsedName | null {
  const root = name.startsWith("api.")
    ? "api"
    : name.startsWith("rbac.")
      ? "rbac"
      : name.startsWith("identity.")
        ? "identity"
        : "ratelimit";
  const rest = name.slice(root.length + 1);
  const dot = rest.indexOf(".");
  if (dot <= 0 || dot !== rest.lastIndexOf(".") || dot === rest.length - 1) return null;
  return { root, scope: rest.slice(0, dot), action: rest.slice(dot + 1) };
}

/**
 * Maps a token's requested permissions, Unkey root key names (`api.*.create_key`, `api.<apiId>.read_key`,
 * `ratelimit.*.limit`) and Keyward names alike, to Keyward permissions. Keyward names pass through unchanged
 * (duplicates dropped, first appearance kept). `api.<apiId>` names limit the token to those API ids (project ids).
 * Every refused entry is reported, by its index in `names`; the detail never echoes the entry, which may be a
 * secret pasted in the wrong field.
 */
export function mapUnkeyPermissions(names: readonly string[]): UnkeyPermissionMapping {
  const errors: UnkeyPermissionError[] = [];
  const permissions = new Set<string>();
  /** Permissions granted everywhere the token reaches: Keyward names, `api.*` and `ratelimit.*`. */
  const everywhere: string[] = [];
  /** Per API id, the permissions its `api.<apiId>` names grant, and the index of its first name. */
  const perApi = new Map<string, { permissions: Set<string>; firstIndex: number }>();
  const wildcardApiIndexes: number[] = [];
  const scopedApiIndexes: number[] = [];

  names.forEach((name, index) => {
    if (!isUnkeyPermissionName(name)) {
      if (!isKnownPermission(name)) errors.push({ index, detail: UNKNOWN_PERMISSION });
      else everywhere.push(name);
      permissions.add(name);
      return;
    }
    const parsed = parseName(name);
    if (parsed === null) {
      errors.push({ index, detail: MALFORMED });
      return;
    }
    const table = ACTIONS[parsed.root];
    const granted = Object.hasOwn(table, parsed.action) ? table[parsed.action] : undefined;
    if (granted === undefined) {
      errors.push({
        index,
        detail:
          parsed.root === "api"
            ? UNKNOWN_API_ACTION
            : parsed.root === "rbac"
              ? UNKNOWN_RBAC_ACTION
              : parsed.root === "identity"
                ? UNKNOWN_IDENTITY_ACTION
                : UNKNOWN_RATELIMIT_ACTION,
      });
      return;
    }
    if (parsed.root === "ratelimit" && parsed.scope !== "*") {
      errors.push({ index, detail: NAMESPACED_RATELIMIT });
      return;
    }
    if (parsed.root === "rbac" && parsed.scope !== "*") {
      errors.push({ index, detail: SCOPED_RBAC });
      return;
    }
    if (parsed.root === "identity" && parsed.scope !== "*") {
      errors.push({ index, detail: SCOPED_IDENTITY });
      return;
    }
    for (const p of granted) permissions.add(p);
    if (parsed.root !== "api" || parsed.scope === "*") {
      if (parsed.root === "api") wildcardApiIndexes.push(index);
      everywhere.push(...granted);
      return;
    }
    scopedApiIndexes.push(index);
    const api = perApi.get(parsed.scope) ?? { permissions: new Set<string>(), firstIndex: index };
    for (const p of granted) api.permissions.add(p);
    perApi.set(parsed.scope, api);
  });

  if (wildcardApiIndexes.length > 0) {
    for (const index of scopedApiIndexes) errors.push({ index, detail: MIXED_SCOPES });
  } else if (perApi.size > 1) {
    // The token's permissions apply to every project in its list, so an API granted less than another would
    // silently gain the difference: refuse instead.
    const scoped = new Set([...perApi.values()].flatMap((api) => [...api.permissions]));
    for (const api of perApi.values()) {
      const held = [...api.permissions, ...everywhere];
      if (![...scoped].every((p) => holdsPermission(held, p))) {
        errors.push({ index: api.firstIndex, detail: UNEVEN_APIS });
      }
    }
  }

  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.index - b.index) };
  return {
    ok: true,
    permissions: [...permissions],
    projectIds: perApi.size === 0 ? null : [...perApi.keys()],
  };
}
