import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import {
  type CataloguedRole,
  MAX_PERMISSIONS_PER_ROLE,
  MAX_RBAC_DESCRIPTION_LENGTH,
  MAX_RBAC_NAME_LENGTH,
  MAX_ROLES_PER_KEY,
  permissionId,
  type ResolvedRoles,
  resolveRoles,
} from "@keyward/core/key-roles.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { isValidScope, MAX_SCOPE_LENGTH } from "@keyward/core/scopes.js";
import { auditEntry, recordDiff } from "../audit/audit-entry.js";
import type { KeyRoleStore, PermissionRecord, RoleRecord } from "../store/key-role-store.js";
import type { Clock } from "./clock.js";
import { listPage, type Page } from "./page.js";
import { type Principal, requirePermission } from "./principal.js";

/** Options for {@link KeyRoleService}. */
export interface KeyRoleServiceOptions {
  store: KeyRoleStore;
  clock: Clock;
  /** How long the in-memory catalogue is trusted without a message from another node (the cache TTL). */
  catalogueTtlMs: number;
  /** Tells the other nodes which roles changed, once committed; never rejects. */
  announceChanges?(ids: readonly string[]): Promise<void>;
  /** The catalogue could not be reloaded: verification keeps the one it has, and tries again. */
  onReloadError?(error: unknown): void;
}

/** What verification asks of the role catalogue (KeyService depends on this, not on the whole service). */
export interface RoleCatalogue {
  /** What a key's roles grant now: synchronously while the catalogue is fresh, after reloading it otherwise. */
  resolve(key: KeyRecord): ResolvedRoles | Promise<ResolvedRoles>;
  /** Role ids for role names or ids (each at most once); a 400 at `pointer` naming the unknown ones. */
  roleIdsFor(refs: readonly string[], pointer: string): Promise<string[]>;
  /** The ids among these of roles that exist (a deleted role's id stays on keys, where it grants nothing). */
  liveRoleIds(ids: readonly string[]): string[];
  /** The names of the roles with these ids that exist, in the same order. */
  roleNames(ids: readonly string[]): string[];
}

/** A new permission as callers describe it. */
export interface CreatePermissionInput {
  name: string;
  slug: string;
  description?: string | null;
}

/** A new role as callers describe it: `permissions` are slugs, created in the catalogue when missing. */
export interface CreateRoleInput {
  name: string;
  description?: string | null;
  permissions?: readonly string[];
}

/** A catalogue list request. */
export interface CatalogueListInput {
  limit?: number;
  cursor?: string;
  search?: string;
}

const PERMISSION_AUDIT_FIELDS = ["slug", "name", "description"] as const;
const ROLE_AUDIT_FIELDS = ["name", "description"] as const;

/**
 * The instance-wide catalogue of permissions and roles that keys can hold, and the in-memory copy of the roles that
 * verification reads without a query: loaded at start, reloaded at once after a change here, on a message from
 * another node (`role` invalidations), after a gap in those messages, and after the cache TTL as a safety net.
 * Reading needs `rbac:read`; changing needs `rbac:write` and a token that is not limited to some projects, since
 * a role reaches keys of every project.
 */
export class KeyRoleService implements RoleCatalogue {
  readonly #options: KeyRoleServiceOptions;
  #roles = new Map<string, CataloguedRole>();
  #byName = new Map<string, CataloguedRole>();
  /** Bumped on every new catalogue, so resolutions memoized per key record are never stale. */
  #version = 0;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #stale = true;
  /** The last reload failed: the catalogue may lack roles created since, so "no such role" would be a guess. */
  #reloadFailed = false;
  /** Bumped by every invalidation: a load that read before one must not install what it read. */
  #invalidations = 0;
  #reloading: Promise<void> | null = null;
  readonly #resolved = new WeakMap<KeyRecord, { version: number; roles: ResolvedRoles }>();

  constructor(options: KeyRoleServiceOptions) {
    this.#options = options;
  }

  /** Loads the catalogue; rejects when the store cannot answer (at start, where that must be loud). */
  async load(): Promise<void> {
    const invalidations = this.#invalidations;
    const rows = await this.#options.store.loadRoleCatalogue();
    if (invalidations === this.#invalidations && this.#reloading === null) {
      this.#install(rows);
      this.#stale = false;
      return;
    }
    // A change announced while reading started a reload, which may have read (and installed) a newer catalogue.
    if (this.#reloading !== null || this.#stale) await this.#refresh();
  }

  resolve(key: KeyRecord): ResolvedRoles | Promise<ResolvedRoles> {
    if (this.#isFresh()) return this.#resolveNow(key);
    return this.#refresh().then(() => this.#resolveNow(key));
  }

  async roleIdsFor(refs: readonly string[], pointer: string): Promise<string[]> {
    if (refs.length > MAX_ROLES_PER_KEY) {
      throw invalidField(pointer, `must hold at most ${MAX_ROLES_PER_KEY} roles`);
    }
    // A role created on another node a moment ago may not have reached this one: reload once before refusing.
    let unknown = this.#unknownRefs(refs);
    if (unknown.length > 0 || !this.#isFresh()) {
      this.#stale = true;
      await this.#refresh();
      unknown = this.#unknownRefs(refs);
      if (unknown.length > 0 && this.#reloadFailed) {
        throw new KeywardError("STORE_UNAVAILABLE", "The role catalogue cannot be read; try again.", {
          retryable: true,
        });
      }
    }
    if (unknown.length > 0) {
      throw new KeywardError("VALIDATION_ERROR", "Some roles do not exist.", {
        errors: unknown.map((index) => ({
          pointer: `${pointer}/${index}`,
          detail: "must name an existing role (its name or id); create it first",
        })),
      });
    }
    const ids = refs.map((ref) => (this.#roles.get(ref) ?? this.#byName.get(ref))?.id as string);
    return [...new Set(ids)];
  }

  liveRoleIds(ids: readonly string[]): string[] {
    return ids.filter((id) => this.#roles.has(id));
  }

  roleNames(ids: readonly string[]): string[] {
    return ids.flatMap((id) => {
      const role = this.#roles.get(id);
      return role === undefined ? [] : [role.name];
    });
  }

  /** Another node changed these roles: reload the catalogue (verification waits for it meanwhile). */
  forgetCached(_ids: readonly string[]): void {
    this.#invalidate();
  }

  /** Messages from other nodes may have been missed: reload the catalogue. */
  forgetAllCached(): void {
    this.#invalidate();
  }

  async createPermission(principal: Principal, input: CreatePermissionInput): Promise<PermissionRecord> {
    requireCatalogueWrite(principal);
    const errors = [
      ...nameErrors(input.name, "/name"),
      ...slugErrors(input.slug, "/slug"),
      ...descriptionErrors(input.description, "/description"),
    ];
    if (errors.length > 0)
      throw new KeywardError("VALIDATION_ERROR", "The permission is invalid.", { errors });
    const now = this.#options.clock.now();
    const permission: PermissionRecord = {
      id: permissionId(input.slug),
      slug: input.slug,
      name: input.name,
      description: input.description ?? null,
      createdAt: now,
    };
    try {
      await this.#options.store.createPermission(permission, [
        permissionAudit(principal, "permission.created", permission, now),
      ]);
    } catch (error) {
      if (error instanceof KeywardError && error.code === "CONFLICT") {
        throw new KeywardError("CONFLICT", "A permission with this slug already exists.", { cause: error });
      }
      throw error;
    }
    return permission;
  }

  /** The permission with this id or slug; NOT_FOUND otherwise. */
  async getPermission(principal: Principal, ref: string): Promise<PermissionRecord> {
    requirePermission(principal, "rbac:read");
    return this.#findPermission(ref);
  }

  async listPermissions(principal: Principal, input: CatalogueListInput): Promise<Page<PermissionRecord>> {
    requirePermission(principal, "rbac:read");
    return listPage(input.limit, input.cursor, (page) =>
      this.#options.store.listPermissions({
        ...page,
        ...(input.search === undefined ? {} : { search: input.search }),
      }),
    );
  }

  /** Deletes a permission (by id or slug) and takes it out of every role. Keys' own scopes are kept. */
  async deletePermission(principal: Principal, ref: string): Promise<void> {
    requireCatalogueWrite(principal);
    const permission = await this.#findPermission(ref);
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deletePermission(permission.id, [
      permissionAudit(principal, "permission.deleted", permission, now),
    ]);
    if (!deleted) throw permissionNotFound();
    await this.#changed([permission.id]);
  }

  async createRole(principal: Principal, input: CreateRoleInput): Promise<RoleRecord> {
    requireCatalogueWrite(principal);
    const slugs = dedupe(input.permissions ?? []);
    const errors = [
      ...nameErrors(input.name, "/name"),
      ...descriptionErrors(input.description, "/description"),
      ...slugListErrors(slugs, "/permissions"),
    ];
    if (errors.length > 0) throw new KeywardError("VALIDATION_ERROR", "The role is invalid.", { errors });
    const now = this.#options.clock.now();
    let role: RoleRecord;
    try {
      role = await this.#options.store.createRole(
        {
          id: newId("role", { now }),
          name: input.name,
          description: input.description ?? null,
          permissions: slugs.map((slug) => newPermission(slug, now)),
          createdAt: now,
        },
        (created) => [roleAudit(principal, "role.created", created, roleDiff(created), now)],
      );
    } catch (error) {
      if (error instanceof KeywardError && error.code === "CONFLICT") {
        throw new KeywardError("CONFLICT", "A role with this name already exists.", { cause: error });
      }
      throw error;
    }
    await this.#changed([role.id]);
    return role;
  }

  /** The role with this id or name; NOT_FOUND otherwise. */
  async getRole(principal: Principal, ref: string): Promise<RoleRecord> {
    requirePermission(principal, "rbac:read");
    return this.#findRole(ref);
  }

  async listRoles(principal: Principal, input: CatalogueListInput): Promise<Page<RoleRecord>> {
    requirePermission(principal, "rbac:read");
    return listPage(input.limit, input.cursor, (page) =>
      this.#options.store.listRoles({
        ...page,
        ...(input.search === undefined ? {} : { search: input.search }),
      }),
    );
  }

  /** Replaces a role's permissions (slugs, created in the catalogue when missing); applies to every key at once. */
  async setRolePermissions(
    principal: Principal,
    ref: string,
    permissions: readonly string[],
  ): Promise<RoleRecord> {
    requireCatalogueWrite(principal);
    const slugs = dedupe(permissions);
    const errors = slugListErrors(slugs, "/permissions");
    if (errors.length > 0)
      throw new KeywardError("VALIDATION_ERROR", "The permissions are invalid.", { errors });
    const existing = await this.#findRole(ref);
    const now = this.#options.clock.now();
    const updated = await this.#options.store.setRolePermissions(
      existing.id,
      slugs.map((slug) => newPermission(slug, now)),
      now,
      (role) => [
        roleAudit(
          principal,
          "role.updated",
          role,
          {
            permissions: {
              from: existing.permissions.map((p) => p.slug),
              to: role.permissions.map((p) => p.slug),
            },
          },
          now,
        ),
      ],
    );
    if (updated === null) throw roleNotFound();
    await this.#changed([updated.id]);
    return updated;
  }

  /** Deletes a role (by id or name): it stops granting anything on every node within a second. */
  async deleteRole(principal: Principal, ref: string): Promise<void> {
    requireCatalogueWrite(principal);
    const role = await this.#findRole(ref);
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deleteRole(role.id, [
      roleAudit(principal, "role.deleted", role, roleDiff(role), now),
    ]);
    if (!deleted) throw roleNotFound();
    await this.#changed([role.id]);
  }

  async #findPermission(ref: string): Promise<PermissionRecord> {
    const byId = await this.#options.store.findPermission(ref);
    if (byId !== null) return byId;
    const bySlug = isValidScope(ref) ? await this.#options.store.findPermission(permissionId(ref)) : null;
    if (bySlug === null) throw permissionNotFound();
    return bySlug;
  }

  async #findRole(ref: string): Promise<RoleRecord> {
    const role = (await this.#options.store.findRole(ref)) ?? (await this.#options.store.findRoleByName(ref));
    if (role === null) throw roleNotFound();
    return role;
  }

  /** After a change committed: reload here at once, and tell the other nodes. */
  async #changed(ids: readonly string[]): Promise<void> {
    this.#invalidate();
    await this.#refresh();
    await this.#options.announceChanges?.(ids);
  }

  /** Fresh: no change announced since the last load (none being reloaded either), and loaded within the TTL. */
  #isFresh(): boolean {
    return (
      !this.#stale &&
      this.#reloading === null &&
      this.#options.clock.now() - this.#loadedAt < this.#options.catalogueTtlMs
    );
  }

  #invalidate(): void {
    this.#invalidations += 1;
    this.#stale = true;
    void this.#refresh();
  }

  /** Reloads until the catalogue is fresh; one load at a time. Never rejects: on failure the old one stays. */
  #refresh(): Promise<void> {
    if (this.#reloading !== null) return this.#reloading;
    const reload = async (): Promise<void> => {
      try {
        do {
          this.#stale = false;
          const loadedAt = this.#options.clock.now();
          const rows = await this.#options.store.loadRoleCatalogue();
          // A change announced while loading may be missing from what was read: load again.
          if (!this.#stale) this.#install(rows, loadedAt);
        } while (this.#stale);
      } catch (error) {
        this.#stale = true;
        this.#reloadFailed = true;
        this.#options.onReloadError?.(error);
      }
    };
    // Cleared once settled, never before it is set: a store that throws synchronously settles reload() at once,
    // and a `finally` inside it would then clear the field before this assignment, leaving it set for good.
    const reloading = reload().finally(() => {
      this.#reloading = null;
    });
    this.#reloading = reloading;
    return reloading;
  }

  #install(rows: readonly CataloguedRole[], loadedAt = this.#options.clock.now()): void {
    const roles = new Map<string, CataloguedRole>();
    const byName = new Map<string, CataloguedRole>();
    for (const row of rows) {
      const role = { id: row.id, name: row.name, permissions: [...row.permissions] };
      roles.set(role.id, role);
      byName.set(role.name, role);
    }
    this.#roles = roles;
    this.#byName = byName;
    this.#version += 1;
    this.#loadedAt = loadedAt;
    this.#reloadFailed = false;
  }

  #resolveNow(key: KeyRecord): ResolvedRoles {
    const memo = this.#resolved.get(key);
    if (memo !== undefined && memo.version === this.#version) return memo.roles;
    const roles = resolveRoles(key.scopes, key.roles, this.#roles);
    this.#resolved.set(key, { version: this.#version, roles });
    return roles;
  }

  /** Indexes (in `refs`) of the refs that name no role, by id or by name. */
  #unknownRefs(refs: readonly string[]): number[] {
    return refs.flatMap((ref, index) => (this.#roles.has(ref) || this.#byName.has(ref) ? [] : [index]));
  }
}

/** The catalogue reaches every project's keys: changing it needs `rbac:write` on every project. */
function requireCatalogueWrite(principal: Principal): void {
  requirePermission(principal, "rbac:write");
  if (principal.projectIds !== null) {
    throw new KeywardError(
      "FORBIDDEN",
      "A token limited to some projects cannot change permissions or roles, which are instance-wide.",
    );
  }
}

function permissionNotFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No permission has this id or slug.");
}

function roleNotFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No role has this id or name.");
}

function newPermission(slug: string, nowMs: number): PermissionRecord {
  return { id: permissionId(slug), slug, name: slug, description: null, createdAt: nowMs };
}

type FieldError = { pointer: string; detail: string };

function nameErrors(name: string, pointer: string): FieldError[] {
  return name.trim().length === 0 || name.length > MAX_RBAC_NAME_LENGTH
    ? [{ pointer, detail: `must be 1 to ${MAX_RBAC_NAME_LENGTH} characters, not only spaces` }]
    : [];
}

function descriptionErrors(description: string | null | undefined, pointer: string): FieldError[] {
  return description != null && description.length > MAX_RBAC_DESCRIPTION_LENGTH
    ? [{ pointer, detail: `must be at most ${MAX_RBAC_DESCRIPTION_LENGTH} characters` }]
    : [];
}

function slugErrors(slug: string, pointer: string): FieldError[] {
  return isValidScope(slug)
    ? []
    : [
        {
          pointer,
          detail: `must be a valid scope: 1 to ${MAX_SCOPE_LENGTH} characters from A-Z a-z 0-9 _ . - : (and * last)`,
        },
      ];
}

function slugListErrors(slugs: readonly string[], pointer: string): FieldError[] {
  if (slugs.length > MAX_PERMISSIONS_PER_ROLE) {
    return [{ pointer, detail: `must hold at most ${MAX_PERMISSIONS_PER_ROLE} permissions` }];
  }
  return slugs.flatMap((slug, index) => slugErrors(slug, `${pointer}/${index}`));
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function roleDiff(role: RoleRecord): AuditEntryContent["diff"] {
  return { ...recordDiff(role, ROLE_AUDIT_FIELDS), permissions: role.permissions.map((p) => p.slug) };
}

/** The catalogue is instance-wide: its entries belong to no project. */
function permissionAudit(
  principal: Principal,
  action: string,
  permission: PermissionRecord,
  nowMs: number,
): AuditEntryContent {
  return auditEntry(
    principal,
    {
      action,
      target: { type: "permission", id: permission.id },
      projectId: null,
      diff: recordDiff(permission, PERMISSION_AUDIT_FIELDS),
    },
    nowMs,
  );
}

function roleAudit(
  principal: Principal,
  action: string,
  role: RoleRecord,
  diff: AuditEntryContent["diff"],
  nowMs: number,
): AuditEntryContent {
  return auditEntry(
    principal,
    { action, target: { type: "role", id: role.id }, projectId: null, diff },
    nowMs,
  );
}
