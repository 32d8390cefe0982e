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
