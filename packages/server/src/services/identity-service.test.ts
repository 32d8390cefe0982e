import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import type { IdentityRecord } from "../store/identity-store.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import { IdentityService, identityIdOf } from "./identity-service.js";
import type { Principal } from "./principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };

/** An identity service on a migrated in-memory store, counting the lookups verification would make. */
async function setup(cacheTtlMs = 60_000) {
  const stores = openSqliteStores({ path: ":memory:" });
  await stores.keys.migrate();
  const clock = new ManualClock();
  const announced: string[][] = [];
  const lookup = vi.spyOn(stores.identities, "findIdentityByExternalId");
  const service = new IdentityService({
    store: stores.identities,
    clock,
    cacheMaxEntries: 100,
    cacheTtlMs,
    announceChanges: async (ids) => void announced.push([...ids]),
  });
  return {
    service,
    clock,
    announced,
    lookups: () => lookup.mock.calls.length,
    close: () => stores.keys.close(),
  };
}

describe("IdentityService", () => {
  it("caches owners without an identity too, so repeated verifications cost no query until the TTL", async () => {
    const { service, clock, lookups, close } = await setup();
    expect(service.cachedIdentity("cust_1")).toBeUndefined();
    expect(await service.identityFor("cust_1")).toBeNull();
    expect(service.cachedIdentity("cust_1")).toBeNull();
    expect(await service.identityFor("cust_1")).toBeNull();
    expect(lookups()).toBe(1);
    clock.advance(60_001);
    expect(service.cachedIdentity("cust_1")).toBeUndefined();
    await close();
  });

  it("drops its own cache entry on every change and announces the externalId to the other nodes", async () => {
    const { service, announced, close } = await setup();
    expect(await service.identityFor("cust_1")).toBeNull();
    const created = await service.createIdentity(root, { externalId: "cust_1", meta: { plan: "pro" } });
    expect(created.id).toBe(identityIdOf("cust_1"));
    expect(await service.identityFor("cust_1")).toEqual(created);
    const updated = await service.updateIdentity(root, created.id, {
      rateLimits: [{ windowMs: 1_000, limit: 5, name: "burst" } as IdentityRecord["rateLimits"][number]],
    });
    // Stored with its fields in one order, whatever order the request used.
    expect(JSON.stringify(service.cachedIdentity("cust_1") ?? (await service.identityFor("cust_1")))).toBe(
      JSON.stringify(updated),
    );
    expect(Object.keys(updated.rateLimits[0] ?? {})).toEqual(["name", "limit", "windowMs"]);
    await service.deleteIdentity(root, "cust_1");
    expect(await service.identityFor("cust_1")).toBeNull();
    expect(announced).toEqual([["cust_1"], ["cust_1"], ["cust_1"]]);
    await close();
  });

  it("forgets what another node changed, and does not cache a read a change overtook", async () => {
    const { service, lookups, close } = await setup();
    await service.identityFor("cust_1");
    service.forgetCached(["cust_1"]);
    expect(service.cachedIdentity("cust_1")).toBeUndefined();
    const pending = service.identityFor("cust_1");
    service.forgetAllCached();
    await pending;
    expect(service.cachedIdentity("cust_1")).toBeUndefined();
    expect(lookups()).toBe(2);
    await close();
  });

  it("refuses changes from a token limited to projects, and needs identities:read to read", async () => {
    const { service, close } = await setup();
    const limited: Principal = { tokenId: "tok_l", permissions: ["*"], projectIds: ["proj_a"] };
    await expect(service.createIdentity(limited, { externalId: "x" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const none: Principal = { tokenId: "tok_n", permissions: ["keys:read"], projectIds: null };
    await expect(service.listIdentities(none, {})).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      service.createIdentity(root, { externalId: "x", meta: { deep: "x".repeat(9_000) } }),
    ).rejects.toMatchObject({ code: "VALIDATION_ERROR", errors: [{ pointer: "/meta" }] });
    await close();
  });
});
