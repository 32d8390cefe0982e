import { newId } from "@keyward/core/ids.js";
import { compileIpAllowlist, type IpAllowlist, normalizeIpAllowlist } from "@keyward/core/ip-allowlist.js";
import { DEFAULT_KEY_PREFIX, isValidKeyPrefix, KEY_PREFIX_PATTERN } from "@keyward/core/key-format.js";
import {
  KEY_POLICY_NAMES,
  type KeyPolicies,
  type KeyPolicySettings,
  parseKeyPolicies,
} from "@keyward/core/key-policies.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { isValidTimeZone } from "@keyward/core/refill-schedule.js";
import { auditEntry, changeDiff, recordDiff } from "../audit/audit-entry.js";
import { PROJECT_AUDIT_FIELDS } from "../audit/audited-fields.js";
import type { KeyStore } from "../store/key-store.js";
import type { ProjectRecord } from "../store/records.js";
import type { Clock } from "./clock.js";
import { filteredFetch, listPage, type Page } from "./page.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";

/** Options for {@link ProjectService}. */
export interface ProjectServiceOptions {
  store: KeyStore;
  clock: Clock;
  /** The project keys go to when a request names none. */
  defaultProjectId: () => Promise<string | null>;
  /** How long a project's settings are reused before they are read again (the net under lost invalidations). */
  policyCacheTtlMs?: number;
  /** Tells the other nodes which of these records this node changed, once committed; never rejects. */
  announceChanges?(ids: readonly string[]): Promise<void>;
}

/** A change to a project: a new name, and policies to set (a duration) or remove (null); absent ones stay. */
export interface UpdateProjectInput {
  name?: string;
  policies?: Partial<Record<(typeof KEY_POLICY_NAMES)[number], string | null>>;
  /** The default IP allowlist of the project's keys; null removes it. */
  ipAllowlist?: string[] | null;
  /** IANA time zone of quota refills. */
  timezone?: string;
  /** Keep a sealed copy of each new key for `keys:reveal`; turning it off deletes the copies kept. */
  recoverableKeys?: boolean;
  /** Users without two-factor authentication keep no role in the project (see docs/accounts.md). */
  require2fa?: boolean;
}

/** A new project: its name, key prefix (`kw` by default) and whether its users must have 2FA (off by default). */
export interface CreateProjectInput {
  name: string;
  keyPrefix?: string;
  require2fa?: boolean;
}

/** What verification needs of a project, parsed once and cached. */
export interface ProjectSettings {
  policies: KeyPolicies;
  /** The project's default allowlist, compiled, or null for none. */
  ipAllowlist: IpAllowlist | null;
  timezone: string;
  /** False for a project that does not exist (any more): its keys are dead. */
  exists: boolean;
}

/** Creates and lists projects, and resolves which project a request means. */
export class ProjectService {
  readonly #options: ProjectServiceOptions;
  readonly #settings = new Map<string, { settings: ProjectSettings; readAt: number }>();
  /** Counts drops, so a read that a drop overtook is not cached (see DigestCache.generation). */
  #generation = 0;
  /** The ids of projects requiring 2FA, read at `readAt`; sessions ask on every request. */
  #requiring2fa: { ids: ReadonlySet<string>; readAt: number } | null = null;

  constructor(options: ProjectServiceOptions) {
    this.#options = options;
  }

  /** Creates a project; a token limited to some projects cannot create more. */
  async createProject(principal: Principal, input: CreateProjectInput): Promise<ProjectRecord> {
    requirePermission(principal, "projects:write");
    if (principal.projectIds !== null) {
      throw new KeywardError("FORBIDDEN", "A token limited to some projects cannot create projects.");
    }
    const keyPrefix = input.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (!isValidKeyPrefix(keyPrefix)) {
      throw invalidField("/keyPrefix", `must match ${KEY_PREFIX_PATTERN}`);
    }
    const now = this.#options.clock.now();
    const project: ProjectRecord = {
      id: newId("proj", { now }),
      name: input.name,
      keyPrefix,
      policies: {},
      ipAllowlist: null,
      timezone: "UTC",
      recoverableKeys: false,
      require2fa: input.require2fa ?? false,
      createdAt: now,
    };
    await this.#options.store.createProject(project, [
      auditEntry(
        principal,
        {
          action: "project.created",
          target: { type: "project", id: project.id },
          projectId: project.id,
          diff: recordDiff(project, PROJECT_AUDIT_FIELDS),
        },
        now,
      ),
    ]);
    if (project.require2fa) {
      // The set of projects requiring 2FA just grew: this node and the others must read it again.
      this.forgetCached([project.id]);
      await this.#options.announceChanges?.([project.id]);
    }
    return project;
  }

  /** Renames a project or changes its key policies; every policy given is validated before anything changes. */
  async updateProject(principal: Principal, id: string, input: UpdateProjectInput): Promise<ProjectRecord> {
    requirePermission(principal, "projects:write");
    // Not getProject(): that needs projects:read, which a write-only token does not hold.
    const existing = await this.#options.store.findProject(id);
    if (existing === null || !canAccessProject(principal, id)) throw notFound();
    let policies: KeyPolicySettings | undefined;
    if (input.policies !== undefined) {
      const merged: KeyPolicySettings = { ...existing.policies };
      for (const name of KEY_POLICY_NAMES) {
        const value = input.policies[name];
        if (value === null) delete merged[name];
        else if (value !== undefined) merged[name] = value;
      }
      parseKeyPolicies(merged);
      policies = merged;
    }
    if (input.timezone !== undefined && !isValidTimeZone(input.timezone)) {
      throw invalidField("/timezone", "must be an IANA time zone such as UTC or Europe/Paris");
    }
    const now = this.#options.clock.now();
    const updated = await this.#options.store.updateProject(
      id,
      {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(policies === undefined ? {} : { policies }),
        ...(input.ipAllowlist === undefined
          ? {}
          : { ipAllowlist: input.ipAllowlist === null ? null : normalizeIpAllowlist(input.ipAllowlist) }),
        ...(input.timezone === undefined ? {} : { timezone: input.timezone }),
        ...(input.recoverableKeys === undefined ? {} : { recoverableKeys: input.recoverableKeys }),
        ...(input.require2fa === undefined ? {} : { require2fa: input.require2fa }),
      },
      (project) => [
        auditEntry(
          principal,
          {
            action: "project.updated",
            target: { type: "project", id: project.id },
            projectId: project.id,
            diff: changeDiff(existing, project, PROJECT_AUDIT_FIELDS),
          },
          now,
        ),
      ],
    );
    this.forgetCached([id]);
    await this.#options.announceChanges?.([id]);
    if (updated === null) throw notFound();
    return updated;
  }

  /**
   * Deletes a project: reads treat it as absent from then on, on every node within a second, so its keys stop
   * verifying at once; its record stays for the audit trail. The caller revokes its keys (see
   * KeyService.deleteProject). The default project cannot be deleted: keys created without a project go there.
   */
  async deleteProject(principal: Principal, id: string): Promise<ProjectRecord> {
    requirePermission(principal, "projects:write");
    const existing = await this.#options.store.findProject(id);
    if (existing === null || !canAccessProject(principal, id)) throw notFound();
    if (id === (await this.#options.defaultProjectId())) {
      throw new KeywardError(
        "CONFLICT",
        "The default project cannot be deleted: keys created without a projectId go there.",
      );
    }
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deleteProject(id, now, (project) => [
      auditEntry(
        principal,
        {
          action: "project.deleted",
          target: { type: "project", id: project.id },
          projectId: project.id,
          diff: recordDiff(project, PROJECT_AUDIT_FIELDS),
        },
        now,
      ),
    ]);
    this.forgetCached([id]);
    await this.#options.announceChanges?.([id]);
    if (deleted === null) throw notFound();
    return deleted;
  }

  /** The parsed policies of a project (see {@link settingsFor}). */
  async policiesFor(projectId: string): Promise<KeyPolicies> {
    return (await this.settingsFor(projectId)).policies;
  }

  /**
   * A project's parsed policies, compiled allowlist and time zone, cached for `policyCacheTtlMs` (verification
   * asks on every call). An unknown project has none. A stored value that no longer parses is ignored rather
   * than failing every verification of the project.
   */
  async settingsFor(projectId: string): Promise<ProjectSettings> {
    const now = this.#options.clock.now();
    const cached = this.cachedSettings(projectId, now);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const project = await this.#options.store.findProject(projectId);
    const settings: ProjectSettings = {
      policies: safeParsePolicies(project?.policies ?? {}),
      ipAllowlist: project?.ipAllowlist == null ? null : compileIpAllowlist(project.ipAllowlist),
      timezone: project?.timezone ?? "UTC",
      exists: project !== null,
    };
    if (generation === this.#generation) this.#settings.set(projectId, { settings, readAt: now });
    return settings;
  }

  /**
   * The ids of the projects with `require2fa` on, cached like {@link settingsFor} (every session-authenticated
   * request of a user without 2FA asks); a change to any project drops it.
   */
  async projectsRequiring2fa(): Promise<ReadonlySet<string>> {
    const now = this.#options.clock.now();
    const cached = this.#requiring2fa;
    if (cached !== null && now - cached.readAt < this.#cacheTtlMs()) return cached.ids;
    const generation = this.#generation;
    const ids: ReadonlySet<string> = new Set(await this.#options.store.listProjectIdsRequiring2fa());
    if (generation === this.#generation) this.#requiring2fa = { ids, readAt: now };
    return ids;
  }

  /** Drops these projects' settings (changed here or on another node) so the next use reads them again. */
  forgetCached(ids: readonly string[]): void {
    this.#generation += 1;
    for (const id of ids) this.#settings.delete(id);
    // Any project's change may have turned its require2fa on or off.
    if (ids.length > 0) this.#requiring2fa = null;
  }

  /** Drops every project's settings: changes made elsewhere may have been missed. */
  forgetAllCached(): void {
    this.#generation += 1;
    this.#settings.clear();
    this.#requiring2fa = null;
  }

  /** The cached settings of a project while fresh, without a promise: verification's hot path asks this first. */
  cachedSettings(projectId: string, nowMs: number): ProjectSettings | undefined {
    const cached = this.#settings.get(projectId);
    if (cached === undefined || nowMs - cached.readAt >= this.#cacheTtlMs()) {
      return undefined;
    }
    return cached.settings;
  }

  #cacheTtlMs(): number {
    return this.#options.policyCacheTtlMs ?? 10_000;
  }

  async getProject(principal: Principal, id: string): Promise<ProjectRecord> {
    requirePermission(principal, "projects:read");
    const project = await this.#options.store.findProject(id);
    if (project === null || !canAccessProject(principal, id)) throw notFound();
    return project;
  }

  async listProjects(
    principal: Principal,
    query: { limit?: number; cursor?: string },
  ): Promise<Page<ProjectRecord>> {
    requirePermission(principal, "projects:read");
    if (principal.projectIds === null) {
      return listPage(query.limit, query.cursor, (page) => this.#options.store.listProjects(page));
    }
    const allowed = principal.projectIds;
    // A limited token sees a short, fixed list; filter the store's pages rather than adding a query shape.
    const fetch = filteredFetch(
      (page) => this.#options.store.listProjects(page),
      (p) => allowed.includes(p.id),
    );
    return listPage(query.limit, query.cursor, fetch);
  }

  /**
   * The project a key request targets: the named one (NOT_FOUND if absent or hidden from this token), or the
   * default project. A token limited to projects must name one unless the default is among them.
   */
  async resolveProject(principal: Principal, projectId: string | undefined): Promise<ProjectRecord> {
    const id = projectId ?? (await this.#options.defaultProjectId());
    if (id === null) throw invalidField("/projectId", "is required");
    const project = await this.#options.store.findProject(id);
    if (project === null || !canAccessProject(principal, project.id)) throw notFound();
    return project;
  }

  /** True when every id names an existing project. */
  async allExist(ids: readonly string[]): Promise<boolean> {
    for (const id of ids) if ((await this.#options.store.findProject(id)) === null) return false;
    return true;
  }
}

function safeParsePolicies(settings: KeyPolicySettings): KeyPolicies {
  try {
    return parseKeyPolicies(settings);
  } catch {
    return parseKeyPolicies({});
  }
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No project has this id.");
}
