import type { KeyRecord } from "@keyward/core/key-record.js";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import type { KeyRoleStore } from "../store/key-role-store.js";
import { KeyRoleService } from "./key-role-service.js";

type Catalogue = { id: string; name: string; permissions: string[] }[];

/** A store whose only used method is loadRoleCatalogue, counting its calls; `fail` makes the next loads throw. */
function fakeStore(catalogue: { rows: Catalogue; loads: number; fail: boolean }): KeyRoleStore {
  return {
    async loadRoleCatalogue() {
      catalogue.loads += 1;
      if (catalogue.fail) throw new Error("store down");
      return catalogue.rows.map((r) => ({ ...r, permissions: [...r.permissions] }));
    },
  } as unknown as KeyRoleStore;
}

const key = { scopes: ["a.read"], roles: ["role_1", "role_gone"] } as KeyRecord;

describe("KeyRoleService's in-memory catalogue", () => {
  it("resolves a key's roles without a query while fresh; reloads once after an invalidation or the TTL", async () => {
    const state = {
      rows: [{ id: "role_1", name: "editor", permissions: ["a.write"] }],
      loads: 0,
      fail: false,
    };
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const roles = new KeyRoleService({
      store: fakeStore(state),
      clock,
      catalogueTtlMs: 60_000,
      onReloadError: (e) => errors.push(e),
    });
    await roles.load();
    expect(state.loads).toBe(1);
    for (let i = 0; i < 3; i++) {
      // Synchronous: no promise, no query.
      expect(roles.resolve(key)).toEqual({
        ids: ["role_1"],
        names: ["editor"],
        scopes: ["a.read", "a.write"],
      });
    }
    expect(state.loads).toBe(1);

    state.rows = [{ id: "role_1", name: "editor", permissions: ["a.admin"] }];
    roles.forgetCached(["role_1"]);
    expect((await roles.resolve(key)).scopes).toEqual(["a.read", "a.admin"]);
    expect(state.loads).toBe(2);

    clock.advance(60_000);
    state.rows = [];
    expect((await roles.resolve(key)).ids).toEqual([]);
    expect(state.loads).toBe(3);

    // A store outage keeps the last catalogue and reports the error.
    state.fail = true;
    roles.forgetAllCached();
    expect((await roles.resolve(key)).ids).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it("turns role names and ids into ids, reloading once before refusing an unknown one", async () => {
    const state = { rows: [] as Catalogue, loads: 0, fail: false };
    const roles = new KeyRoleService({
      store: fakeStore(state),
      clock: new ManualClock(),
      catalogueTtlMs: 60_000,
    });
    await roles.load();
    // Created on another node a moment ago: not in this node's catalogue yet.
    state.rows = [{ id: "role_1", name: "editor", permissions: [] }];
    expect(await roles.roleIdsFor(["editor", "role_1"], "/roles")).toEqual(["role_1"]);
    await expect(roles.roleIdsFor(["editor", "ghost"], "/roles")).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      errors: [{ pointer: "/roles/1" }],
    });
    expect(roles.roleNames(["role_gone", "role_1"])).toEqual(["editor"]);
  });
});

describe("KeyRoleService's reloads under races and outages", () => {
  const editor = { id: "role_1", name: "editor", permissions: ["a.write"] };

  it("load() leaves the catalogue to the reload a change started while it read, even when that reload answers first", async () => {
    const answers: ((rows: Catalogue) => void)[] = [];
    const store = {
      loadRoleCatalogue: () => new Promise<Catalogue>((resolve) => answers.push(resolve)),
    } as unknown as KeyRoleStore;
    const roles = new KeyRoleService({ store, clock: new ManualClock(), catalogueTtlMs: 60_000 });
    const loading = roles.load();
    // A role is created on another node while the first load reads; the reload it starts answers first.
    roles.forgetCached(["role_1"]);
    answers[1]?.([editor]);
    await Promise.resolve();
    answers[0]?.([]);
    await loading;
    expect(await roles.resolve(key)).toMatchObject({ ids: ["role_1"], names: ["editor"] });
  });

  it("reloads again after a store that throws synchronously (the reload is not left pending for good)", async () => {
    let fail = true;
    const store = {
      loadRoleCatalogue() {
        if (fail) throw new Error("store down");
        return Promise.resolve([editor]);
      },
    } as unknown as KeyRoleStore;
    const errors: unknown[] = [];
    const roles = new KeyRoleService({
      store,
      clock: new ManualClock(),
      catalogueTtlMs: 60_000,
      onReloadError: (e) => errors.push(e),
    });
    roles.forgetAllCached();
    expect(errors).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    fail = false;
    expect(await roles.resolve(key)).toMatchObject({ ids: ["role_1"], names: ["editor"] });
  });

  it("refuses an unknown role as STORE_UNAVAILABLE (retryable), not as a 400, while the catalogue cannot be read", async () => {
    const state = { rows: [editor], loads: 0, fail: false };
    const roles = new KeyRoleService({
      store: fakeStore(state),
      clock: new ManualClock(),
      catalogueTtlMs: 60_000,
      onReloadError: () => {},
    });
    await roles.load();
    state.fail = true;
    await expect(roles.roleIdsFor(["ghost"], "/roles")).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
      retryable: true,
    });
    // Known roles still resolve from the catalogue at hand.
    expect(await roles.roleIdsFor(["editor"], "/roles")).toEqual(["role_1"]);
    state.fail = false;
    await expect(roles.roleIdsFor(["ghost"], "/roles")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });
});
