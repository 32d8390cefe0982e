import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import type { KeyStore } from "../store/key-store.js";
import { SqliteKeyStore } from "../store/sqlite-key-store.js";
import type { Principal } from "./principal.js";
import { ProjectService } from "./project-service.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const TTL_MS = 10_000;

let sqlite: SqliteKeyStore;
let clock: ManualClock;
let projects: ProjectService;
let announced: string[][];
/** How many times the service asked the store for the projects requiring 2FA. */
let reads: number;
/** When set, the store's answer waits for it: a read in flight while something else happens. */
let gate: Promise<void> | null;

beforeEach(async () => {
  sqlite = new SqliteKeyStore({ path: ":memory:" });
  await sqlite.migrate();
  reads = 0;
  gate = null;
  announced = [];
  const store: KeyStore = new Proxy(sqlite, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      // Bound to the store itself: its methods use private fields, which a proxy as `this` does not have.
      if (property !== "listProjectIdsRequiring2fa") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async () => {
        reads += 1;
        const ids = await target.listProjectIdsRequiring2fa();
        if (gate !== null) await gate;
        return ids;
      };
    },
  });
  clock = new ManualClock();
  projects = new ProjectService({
    store,
    clock,
    defaultProjectId: async () => null,
    policyCacheTtlMs: TTL_MS,
    announceChanges: async (ids) => {
      announced.push([...ids]);
    },
  });
});

afterEach(async () => {
  await sqlite.close();
});

describe("ProjectService.projectsRequiring2fa()", () => {
  it("reads the store once per cache lifetime", async () => {
    const strict = await projects.createProject(root, { name: "strict", require2fa: true });
    await projects.createProject(root, { name: "lax" });
    expect([...(await projects.projectsRequiring2fa())]).toEqual([strict.id]);
    clock.advance(TTL_MS - 1);
    await projects.projectsRequiring2fa();
    expect(reads).toBe(1);
    clock.advance(1);
    await projects.projectsRequiring2fa();
    expect(reads).toBe(2);
  });

  it("sees an update made through the service at once, and announces it to the other nodes", async () => {
    const project = await projects.createProject(root, { name: "p" });
    expect((await projects.projectsRequiring2fa()).size).toBe(0);
    await projects.updateProject(root, project.id, { require2fa: true });
    expect([...(await projects.projectsRequiring2fa())]).toEqual([project.id]);
    await projects.updateProject(root, project.id, { require2fa: false });
    expect((await projects.projectsRequiring2fa()).size).toBe(0);
    expect(announced).toEqual([[project.id], [project.id]]);
  });

  it("sees a project created with the setting on at once, and announces it", async () => {
    expect((await projects.projectsRequiring2fa()).size).toBe(0);
    const project = await projects.createProject(root, { name: "strict", require2fa: true });
    expect([...(await projects.projectsRequiring2fa())]).toEqual([project.id]);
    expect(announced).toEqual([[project.id]]);
  });

  it("reads again after another node's change is heard of (forgetCached) or changes may have been missed", async () => {
    const project = await projects.createProject(root, { name: "p" });
    expect((await projects.projectsRequiring2fa()).size).toBe(0);
    // Another node's change: straight to the store, so this node's cache is stale until told.
    await sqlite.updateProject(project.id, { require2fa: true });
    expect((await projects.projectsRequiring2fa()).size).toBe(0);
    projects.forgetCached([project.id]);
    expect([...(await projects.projectsRequiring2fa())]).toEqual([project.id]);
    await sqlite.updateProject(project.id, { require2fa: false });
    projects.forgetAllCached();
    expect((await projects.projectsRequiring2fa()).size).toBe(0);
  });

  it("does not cache a read that a change overtook", async () => {
    const project = await projects.createProject(root, { name: "p" });
    let release = (): void => {};
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const inFlight = projects.projectsRequiring2fa();
    // The read has its (old) answer; the change lands and is forgotten before the read returns.
    await Promise.resolve();
    await sqlite.updateProject(project.id, { require2fa: true });
    projects.forgetCached([project.id]);
    release();
    expect((await inFlight).size).toBe(0);
    gate = null;
    expect([...(await projects.projectsRequiring2fa())]).toEqual([project.id]);
  });
});
