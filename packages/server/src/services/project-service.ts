import { newId } from "@keyward/core/ids.js";
import { DEFAULT_KEY_PREFIX, isValidKeyPrefix, KEY_PREFIX_PATTERN } from "@keyward/core/key-format.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
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
}

/** Creates and lists projects, and resolves which project a request means. */
export class ProjectService {
  readonly #options: ProjectServiceOptions;

  constructor(options: ProjectServiceOptions) {
    this.#options = options;
  }

  /** Creates a project; a token limited to some projects cannot create more. */
  async createProject(
    principal: Principal,
    input: { name: string; keyPrefix?: string },
  ): Promise<ProjectRecord> {
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
      createdAt: now,
    };
    await this.#options.store.createProject(project);
    return project;
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

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No project has this id.");
}
