import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FIRST_PEPPER_NAME, type PepperRecord, type PepperStore, pepperName } from "./pepper-store.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

/** A digest made with another pepper: what a re-digest swaps in. */
const otherDigest = () => randomBytes(32);

/**
 * The one suite every {@link PepperStore} implementation must pass, with the key store's lookups by any of
 * several digests that pepper rotation relies on. `open` returns a new, empty {@link Stores} bundle that has not
 * been migrated yet; the suite migrates and closes it.
 */
export function describePepperStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`PepperStore conformance: ${name}`, () => {
    let stores: Stores;
    let store: PepperStore;
    let fx: StoreFixtures;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      store = stores.peppers;
      fx = new StoreFixtures(stores);
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    function version(n: number, overrides: Partial<PepperRecord> = {}): PepperRecord {
      return {
        name: pepperName(n),
        version: n,
        sealedPepper: `sealed pepper ${n}`,
        createdAt: T0 + n,
        activatesAt: T0 + 60_000 * n,
        retiredAt: null,
        ...overrides,
      };
    }

    async function bootstrap(): Promise<void> {
      const now = T0;
      expect(
        await stores.keys.bootstrap({
          sealedPepper: "sealed first pepper",
          defaultProject: fx.makeProject({ name: "default", createdAt: now }),
          rootToken: fx.makeToken({ name: "root", permissions: ["*"] }),
        }),
      ).toBe(true);
    }

    describe("versions", () => {
      it("lists none before bootstrap, and the first version (named `pepper`) after it", async () => {
        expect(await store.listPeppers()).toEqual([]);
        await bootstrap();
        expect(await store.listPeppers()).toEqual([
          {
            name: FIRST_PEPPER_NAME,
            version: 1,
            sealedPepper: "sealed first pepper",
            createdAt: T0,
            activatesAt: T0,
            retiredAt: null,
          },
        ]);
      });

      it("adds versions, lists them oldest first, and refuses a taken version or name", async () => {
        await bootstrap();
        expect(await store.addPepper(version(3))).toBe(true);
        expect(await store.addPepper(version(2))).toBe(true);
        expect(await store.addPepper(version(2, { sealedPepper: "another" }))).toBe(false);
        expect(await store.addPepper(version(4, { name: pepperName(2) }))).toBe(false);
        const listed = await store.listPeppers();
        expect(listed.map((p) => p.version)).toEqual([1, 2, 3]);
        expect(listed[1]).toEqual(version(2));
      });

      it("of two rotations adding the same version at once, exactly one wins", async () => {
        await bootstrap();
        const results = await Promise.all([
          store.addPepper(version(2, { sealedPepper: "a" })),
          store.addPepper(version(2, { sealedPepper: "b" })),
        ]);
        expect([...results].sort()).toEqual([false, true]);
        expect((await store.listPeppers()).map((p) => p.version)).toEqual([1, 2]);
      });

      it("retires a version once: its pepper is dropped, its row kept; unknown versions are not retired", async () => {
        await bootstrap();
        await store.addPepper(version(2));
        expect(await store.retirePepper(1, T0 + 5)).toBe(true);
        expect(await store.retirePepper(1, T0 + 6)).toBe(false);
        expect(await store.retirePepper(9, T0 + 6)).toBe(false);
        const [first, second] = await store.listPeppers();
        expect(first).toMatchObject({ version: 1, sealedPepper: null, retiredAt: T0 + 5 });
        expect(second).toEqual(version(2));
      });
    });

    describe("digests per version", () => {
      it("counts keys and tokens per pepper version, active and revoked apart", async () => {
        const project = await fx.createProject();
        for (const pepperVersion of [1, 1, 2]) {
          const key = fx.makeKey(project.id);
          await stores.keys.createKey({ ...key, pepperVersion });
        }
        const revoked = fx.makeKey(project.id);
        await stores.keys.createKey({ ...revoked, pepperVersion: 2 });
        await stores.keys.revokeKey(revoked.record.id, null, T0 + 1);
        await stores.keys.createToken({ ...fx.makeToken(), pepperVersion: 3 });
        const revokedToken = fx.makeToken();
        await stores.keys.createToken({ ...revokedToken, pepperVersion: 1 });
        await stores.keys.revokeToken(revokedToken.record.id, T0 + 1);

        expect(await store.pepperUsage()).toEqual([
          { version: 1, keys: { active: 2, revoked: 0 }, tokens: { active: 0, revoked: 1 } },
          { version: 2, keys: { active: 1, revoked: 1 }, tokens: { active: 0, revoked: 0 } },
          { version: 3, keys: { active: 0, revoked: 0 }, tokens: { active: 1, revoked: 0 } },
        ]);
      });

      it("counts nothing in an empty store", async () => {
        expect(await store.pepperUsage()).toEqual([]);
      });
    });

    describe("re-digesting", () => {
      it("swaps a key's digest and version when it still has the expected digest, and finds it by the new one", async () => {
        const project = await fx.createProject();
        const key = await fx.createKey(project.id);
        const other = await fx.createKey(project.id);
        const next = otherDigest();
        const stale = {
          id: other.record.id,
          expected: otherDigest(),
          digest: otherDigest(),
          pepperVersion: 2,
        };
        expect(
          await store.redigestKeys([
            { id: key.record.id, expected: key.digest, digest: next, pepperVersion: 2 },
            stale,
          ]),
        ).toBe(1);
        expect(await stores.keys.findKeyByDigest(key.digest)).toBeNull();
        const found = await stores.keys.findKeyByDigest(next);
        expect(found?.record).toEqual(await stores.keys.findKey(key.record.id));
        expect(found?.pepperVersion).toBe(2);
        // The key whose digest did not match is untouched.
        expect((await stores.keys.findKeyByDigest(other.digest))?.pepperVersion).toBe(1);
        expect(await store.pepperUsage()).toEqual([
          { version: 1, keys: { active: 1, revoked: 0 }, tokens: { active: 0, revoked: 0 } },
          { version: 2, keys: { active: 1, revoked: 0 }, tokens: { active: 0, revoked: 0 } },
        ]);
      });

      it("of two nodes swapping one key at once, one swap holds and the key keeps one digest", async () => {
        const project = await fx.createProject();
        const key = await fx.createKey(project.id);
        const [a, b] = [otherDigest(), otherDigest()];
        const results = await Promise.all([
          store.redigestKeys([{ id: key.record.id, expected: key.digest, digest: a, pepperVersion: 2 }]),
          store.redigestKeys([{ id: key.record.id, expected: key.digest, digest: b, pepperVersion: 2 }]),
        ]);
        expect(results.sort()).toEqual([0, 1]);
        const found = [await stores.keys.findKeyByDigest(a), await stores.keys.findKeyByDigest(b)];
        expect(found.filter((f) => f !== null)).toHaveLength(1);
      });

      it("swaps token digests the same way", async () => {
        const token = await fx.createToken();
        const next = otherDigest();
        expect(await store.redigestTokens([])).toBe(0);
        expect(
          await store.redigestTokens([
            { id: token.record.id, expected: token.digest, digest: next, pepperVersion: 3 },
          ]),
        ).toBe(1);
        expect(await stores.keys.findTokenByDigest(token.digest)).toBeNull();
        expect(await stores.keys.findTokenByDigest(next)).toMatchObject({
          record: token.record,
          pepperVersion: 3,
        });
      });

      it("does nothing for an empty batch or an unknown id", async () => {
        expect(await store.redigestKeys([])).toBe(0);
        expect(
          await store.redigestKeys([
            { id: "key_missing", expected: otherDigest(), digest: otherDigest(), pepperVersion: 2 },
          ]),
        ).toBe(0);
      });
    });

    describe("lookups by any of several digests", () => {
      it("finds the key or token that has one of the digests, with the digest it has", async () => {
        const project = await fx.createProject();
        const key = await fx.createKey(project.id);
        const token = await fx.createToken();
        const found = await stores.keys.findKeyByAnyDigest([otherDigest(), key.digest, otherDigest()]);
        expect(found).toEqual({
          record: await stores.keys.findKey(key.record.id),
          digest: key.digest,
          pepperVersion: 1,
        });
        const foundToken = await stores.keys.findTokenByAnyDigest([token.digest, otherDigest()]);
        expect(foundToken).toEqual({ record: token.record, digest: token.digest, pepperVersion: 1 });
      });

      it("finds nothing for unknown digests or none at all", async () => {
        const project = await fx.createProject();
        await fx.createKey(project.id);
        expect(await stores.keys.findKeyByAnyDigest([otherDigest(), otherDigest()])).toBeNull();
        expect(await stores.keys.findKeyByAnyDigest([])).toBeNull();
        expect(await stores.keys.findTokenByAnyDigest([otherDigest()])).toBeNull();
        expect(await stores.keys.findTokenByAnyDigest([])).toBeNull();
      });
    });
  });
}
