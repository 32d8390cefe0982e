import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditEntry, systemActor } from "../audit/audit-entry.js";
import { identityIdOf } from "../services/identity-service.js";
import type { IdentityRecord, IdentityStore } from "./identity-store.js";
import type { ChangeEffect } from "./records.js";
import { StoreFixtures } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

/**
 * The one suite every {@link IdentityStore} implementation must pass. `open` returns a new, empty {@link Stores}
 * bundle that has not been migrated yet; the suite migrates and closes it.
 */
export function describeIdentityStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`IdentityStore conformance: ${name}`, () => {
    let stores: Stores;
    let store: IdentityStore;
    let fx: StoreFixtures;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      store = stores.identities;
      fx = new StoreFixtures(stores);
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    function makeIdentity(externalId: string, overrides: Partial<IdentityRecord> = {}): IdentityRecord {
      const now = fx.nextTime();
      return {
        id: identityIdOf(externalId),
        externalId,
        meta: { plan: "pro", nested: { seats: 3 } },
        rateLimits: [{ name: "requests", limit: 2, windowMs: 60_000 }],
        createdAt: now,
        updatedAt: now,
        ...overrides,
      };
    }

    function entry(action: string): ChangeEffect {
      return auditEntry(
        systemActor("conformance"),
        { action, target: { type: "identity", id: "id_x" }, projectId: null },
        fx.nextTime(),
      );
    }

    async function auditSeq(): Promise<number> {
      return (await stores.audit.auditHead()).seq;
    }

    it("stores an identity with its effects and finds it by id and by externalId", async () => {
      const identity = makeIdentity("cust_1");
      await store.createIdentity(identity, [entry("identity.created")]);
      expect(await store.findIdentity(identity.id)).toEqual(identity);
      expect(await store.findIdentityByExternalId("cust_1")).toEqual(identity);
      expect(await store.findIdentity("id_missing")).toBeNull();
      expect(await store.findIdentityByExternalId("cust_missing")).toBeNull();
      expect(await auditSeq()).toBe(1);
    });

    it("refuses an externalId twice (CONFLICT, no effects)", async () => {
      await store.createIdentity(makeIdentity("cust_1"));
      await expect(
        store.createIdentity(makeIdentity("cust_1", { meta: {} }), [entry("x")]),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      expect((await store.findIdentityByExternalId("cust_1"))?.meta).toEqual({
        plan: "pro",
        nested: { seats: 3 },
      });
      expect(await auditSeq()).toBe(0);
    });

    it("ensures an identity: creates it once with its effects, and never overwrites one", async () => {
      const empty = makeIdentity("cust_1", { meta: {}, rateLimits: [] });
      expect(await store.ensureIdentity(empty, [entry("identity.created")])).toBe(true);
      expect(await store.ensureIdentity(makeIdentity("cust_1"), [entry("identity.created")])).toBe(false);
      expect(await store.findIdentityByExternalId("cust_1")).toEqual(empty);
      expect(await auditSeq()).toBe(1);
    });

    it("lists in externalId order page by page, and searches id and externalId ignoring case", async () => {
      for (const externalId of ["acme_b", "Acme_A", "zeta", "acme_c", "50%_off"]) {
        await store.createIdentity(makeIdentity(externalId));
      }
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listIdentities({ limit: 2, ...(after === undefined ? {} : { after }) });
        if (page.length === 0) break;
        pages.push(page.map((i) => i.externalId));
        after = page.at(-1)?.externalId;
      }
      // Byte order, as both dialects compare: digits, then upper case, then lower case.
      expect(pages).toEqual([["50%_off", "Acme_A"], ["acme_b", "acme_c"], ["zeta"]]);
      const found = await store.listIdentities({ limit: 10, search: "ACME" });
      expect(found.map((i) => i.externalId)).toEqual(["Acme_A", "acme_b", "acme_c"]);
      expect(
        (await store.listIdentities({ limit: 10, search: "ACME", after: "Acme_A" })).map((i) => i.externalId),
      ).toEqual(["acme_b", "acme_c"]);
      // LIKE wildcards in the search match themselves.
      expect((await store.listIdentities({ limit: 10, search: "%_" })).map((i) => i.externalId)).toEqual([
        "50%_off",
      ]);
      const zeta = identityIdOf("zeta");
      expect(
        (await store.listIdentities({ limit: 10, search: zeta.toUpperCase() })).map((i) => i.id),
      ).toEqual([zeta]);
    });

    it("updates meta or rate limits alone with the change's effects, and nothing for an unknown id", async () => {
      const identity = makeIdentity("cust_1");
      await store.createIdentity(identity);
      const at = fx.nextTime();
      const seen: IdentityRecord[] = [];
      const updated = await store.updateIdentity(identity.id, { meta: { plan: "free" } }, at, (record) => {
        seen.push(record);
        return [entry("identity.updated")];
      });
      expect(updated).toEqual({ ...identity, meta: { plan: "free" }, updatedAt: at });
      expect(seen).toEqual([updated]);
      const limits = [{ name: "burst", limit: 5, windowMs: 1_000 }];
      const again = await store.updateIdentity(identity.id, { rateLimits: limits }, at + 1);
      expect(again).toEqual({ ...identity, meta: { plan: "free" }, rateLimits: limits, updatedAt: at + 1 });
      expect(await store.findIdentity(identity.id)).toEqual(again);
      expect(await store.updateIdentity("id_missing", { meta: {} }, at, () => [entry("x")])).toBeNull();
      expect(await auditSeq()).toBe(1);
    });

    it("deletes once, effects only with the deletion", async () => {
      const identity = makeIdentity("cust_1");
      await store.createIdentity(identity);
      expect(await store.deleteIdentity(identity.id, [entry("identity.deleted")])).toBe(true);
      expect(await store.deleteIdentity(identity.id, [entry("identity.deleted")])).toBe(false);
      expect(await store.findIdentityByExternalId("cust_1")).toBeNull();
      expect(await auditSeq()).toBe(1);
    });
  });
}
