import { randomBytes } from "node:crypto";
import { digestKey } from "@keyward/core/digest-key.js";
import { newId } from "@keyward/core/ids.js";
import { generateKey } from "@keyward/core/key-format.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { describeAlertsConformance } from "./alerts.conformance.js";
import { describeDeletionConformance } from "./deletion.conformance.js";
import { describeKeyImportConformance } from "./key-import.conformance.js";
import { DEFAULT_PROJECT_SETTING, type KeyStore } from "./key-store.js";
import type { PepperStore } from "./pepper-store.js";
import type {
  BootstrapSeed,
  KeyRotation,
  NewEvent,
  NewKey,
  NewToken,
  ProjectRecord,
  TokenRecord,
} from "./records.js";
import { collectPages, type SeenEvent, StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import { describeUsageBucketsConformance } from "./usage-buckets.conformance.js";
import type { WebhookRecord } from "./webhook-store.js";

/** A JSON value with unicode, nesting and every JSON type, that every store must hand back unchanged. */
const RICH_META: Record<string, unknown> = {
  plan: "pro",
  "clé spéciale": "naïve café — 日本語 — 🔑🚀",
  "": "empty key",
  quote: 'she said "hi" \\ back\\slash\nnew line\ttab',
  numbers: { int: 42, negative: -7, float: 1.5, zero: 0 },
  flags: [true, false, null],
  nested: { a: { b: { c: { d: ["deep", { e: "🧪" }] } } } },
  emptyObject: {},
  emptyArray: [],
};

/** An hour after the fixtures' records are made: when the suite's changes happen. */
const NOW = T0 + 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The one suite every {@link KeyStore} implementation must pass, written only against the interfaces.
 * `open` returns a new, empty {@link Stores} bundle that has not been migrated yet; the suite migrates and closes
 * it. The key store comes with its bundle because the events its changes write are only seen through the webhook
 * store's delivery queue.
 */
export function describeKeyStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`KeyStore conformance: ${name}`, () => {
    let store: KeyStore;
    let peppers: PepperStore;
    let fx: StoreFixtures;
    /** The sealed first pepper, as bootstrap stored it; null before. */
    const firstPepper = async () => (await peppers.listPeppers())[0]?.sealedPepper ?? null;

    beforeEach(async () => {
      const stores = await open();
      store = stores.keys;
      peppers = stores.peppers;
      await store.migrate();
      fx = new StoreFixtures(stores);
    });

    afterEach(async () => {
      await store.close();
    });

    describeUsageBucketsConformance(() => store);
    describeDeletionConformance(
      () => store,
      () => fx,
    );
    describeAlertsConformance(
      () => store,
      () => fx,
    );
    describeKeyImportConformance(
      () => store,
      () => fx,
    );

    function makeSeed(): BootstrapSeed {
      return {
        sealedPepper: JSON.stringify({ v: 1, kid: "test", dek: randomBytes(8).toString("base64"), ct: "x" }),
        defaultProject: fx.makeProject({ name: "default", keyPrefix: "kw" }),
        rootToken: fx.makeToken({ name: "root", permissions: ["*"] }),
      };
    }

    function expectSameFields(actual: object, expected: object): void {
      // Exactly the record's fields: no digest, no internal counters.
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      expect(actual).not.toHaveProperty("digest");
    }

    function ids(records: readonly { id: string }[]): string[] {
      return records.map((r) => r.id);
    }

    function sortedIds(records: readonly (KeyRecord | NewKey)[]): string[] {
      return records.map((r) => ("record" in r ? r.record.id : r.id)).sort();
    }

    describe("migrate()", () => {
      it("running migrate() again on a migrated store keeps every record and fails nothing", async () => {
        const project = await fx.createProject();
        const key = await fx.createKey(project.id);
        await store.migrate();
        await store.migrate();
        expect(await store.findProject(project.id)).toEqual(project);
        expect(await store.findKey(key.record.id)).toEqual(key.record);
      });

      it("ping() resolves on an open, migrated store", async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it("reports the schema version, and applies nothing (returning []) on a current schema", async () => {
        const version = await store.schemaVersion();
        expect(version).toBeGreaterThanOrEqual(3);
        expect(await store.migrate()).toEqual([]);
        expect(await store.schemaVersion()).toBe(version);
      });
    });

    describe("bootstrap()", () => {
      it("writes the sealed pepper, the default project, its setting and the root token, and returns true", async () => {
        const seed = makeSeed();
        expect(await store.bootstrap(seed)).toBe(true);
        expect(await firstPepper()).toBe(seed.sealedPepper);
        expect(await store.readInstanceSetting(DEFAULT_PROJECT_SETTING)).toBe(seed.defaultProject.id);
        expect(await store.findProject(seed.defaultProject.id)).toEqual(seed.defaultProject);
        expect(await store.findToken(seed.rootToken.record.id)).toEqual(seed.rootToken.record);
        const byDigest = await store.findTokenByDigest(seed.rootToken.digest);
        expect(byDigest?.record).toEqual(seed.rootToken.record);
      });

      it("a second bootstrap() returns false and changes nothing", async () => {
        const first = makeSeed();
        const second = makeSeed();
        expect(await store.bootstrap(first)).toBe(true);
        expect(await store.bootstrap(second)).toBe(false);
        expect(await firstPepper()).toBe(first.sealedPepper);
        expect(await store.readInstanceSetting(DEFAULT_PROJECT_SETTING)).toBe(first.defaultProject.id);
        expect(await store.findProject(second.defaultProject.id)).toBeNull();
        expect(await store.findToken(second.rootToken.record.id)).toBeNull();
        expect(await store.findTokenByDigest(second.rootToken.digest)).toBeNull();
        expect(ids(await store.listProjects({ limit: 10 }))).toEqual([first.defaultProject.id]);
        expect(ids(await store.listTokens({ limit: 10 }))).toEqual([first.rootToken.record.id]);
      });

      it("bootstrap() writes nothing at all when its root token conflicts, so a later bootstrap() can still win", async () => {
        const seed = makeSeed();
        // Same digest as the seed's root token, other id: the token insert, the last write, must fail.
        await store.createToken({
          record: fx.makeToken().record,
          digest: seed.rootToken.digest,
          pepperVersion: 1,
        });
        await expectKeywardError(store.bootstrap(seed), "CONFLICT");
        expect(await firstPepper()).toBeNull();
        expect(await store.readInstanceSetting(DEFAULT_PROJECT_SETTING)).toBeNull();
        expect(await store.findProject(seed.defaultProject.id)).toBeNull();
        expect(await store.findToken(seed.rootToken.record.id)).toBeNull();

        const retry = makeSeed();
        expect(await store.bootstrap(retry)).toBe(true);
        expect(await firstPepper()).toBe(retry.sealedPepper);
      });

      it("bootstrap() writes nothing at all when its default project conflicts", async () => {
        const seed = makeSeed();
        await store.createProject({ ...seed.defaultProject, name: "squatter" });
        await expectKeywardError(store.bootstrap(seed), "CONFLICT");
        expect(await firstPepper()).toBeNull();
        expect(await store.readInstanceSetting(DEFAULT_PROJECT_SETTING)).toBeNull();
        expect(await store.findProject(seed.defaultProject.id)).toMatchObject({ name: "squatter" });
        expect(await store.findToken(seed.rootToken.record.id)).toBeNull();
      });

      it("readInstanceSetting() returns null for a setting never written, before and after bootstrap()", async () => {
        expect(await firstPepper()).toBeNull();
        expect(await store.readInstanceSetting("no_such_setting")).toBeNull();
        await store.bootstrap(makeSeed());
        expect(await store.readInstanceSetting("no_such_setting")).toBeNull();
        expect(await store.readInstanceSetting("")).toBeNull();
      });
    });

    describe("projects", () => {
      it("findProject() returns the project createProject() stored, and null for an unknown id", async () => {
        const project = await fx.createProject({ name: "Ünïcode 🔑 project" });
        const found = await store.findProject(project.id);
        expect(found).toEqual(project);
        expectSameFields(found as ProjectRecord, project);
        expect(await store.findProject(newId("proj"))).toBeNull();
      });

      it("createProject() with an id already taken throws CONFLICT and keeps the first project", async () => {
        const project = await fx.createProject();
        await expectKeywardError(store.createProject({ ...project, name: "other" }), "CONFLICT");
        expect(await store.findProject(project.id)).toEqual(project);
      });

      it("listProjects() pages in id order, each page starting after the previous page's last id", async () => {
        const created: ProjectRecord[] = [];
        for (let i = 0; i < 5; i++) created.push(fx.makeProject({ name: `p${i}` }));
        // Inserted out of order: the store, not the insertion order, decides the listing order.
        for (const i of [3, 0, 4, 1, 2]) await store.createProject(created[i] as ProjectRecord);
        const pages = await collectPages((after) =>
          store.listProjects(after === undefined ? { limit: 2 } : { limit: 2, after }),
        );
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat()).toEqual(created);
        expect(await store.listProjects({ limit: 10, after: created[4]?.id as string })).toEqual([]);
      });

      it("createProject() and updateProject() round-trip require2fa, and a patch without it keeps it", async () => {
        const on = await fx.createProject({ require2fa: true });
        const off = await fx.createProject();
        expect(await store.findProject(on.id)).toEqual(on);
        expect((await store.findProject(off.id))?.require2fa).toBe(false);
        expect(await store.updateProject(off.id, { require2fa: true })).toEqual({ ...off, require2fa: true });
        expect(await store.updateProject(off.id, { name: "renamed" })).toEqual({
          ...off,
          name: "renamed",
          require2fa: true,
        });
        expect(await store.updateProject(on.id, { require2fa: false })).toEqual({ ...on, require2fa: false });
        expect(await store.findProject(on.id)).toEqual({ ...on, require2fa: false });
      });

      it("listProjectIdsRequiring2fa() lists exactly the projects with require2fa on, following changes", async () => {
        expect(await store.listProjectIdsRequiring2fa()).toEqual([]);
        const a = await fx.createProject({ require2fa: true });
        const b = await fx.createProject();
        const c = await fx.createProject({ require2fa: true });
        // Sorted here: the order is not part of the contract.
        const listed = async () => (await store.listProjectIdsRequiring2fa()).sort();
        expect(await listed()).toEqual([a.id, c.id].sort());
        await store.updateProject(a.id, { require2fa: false });
        await store.updateProject(b.id, { require2fa: true });
        expect(await listed()).toEqual([b.id, c.id].sort());
      });
    });

    describe("keys", () => {
      let project: ProjectRecord;
      beforeEach(async () => {
        project = await fx.createProject();
      });

      it("findKey() returns exactly the record createKey() stored, without a digest", async () => {
        const key = await fx.createKey(project.id);
        const found = await store.findKey(key.record.id);
        expect(found).toEqual(key.record);
        expectSameFields(found as KeyRecord, key.record);
      });

      it("findKey() round-trips nulls, a disabled flag and an empty scope list", async () => {
        const key = await fx.createKey(project.id, {
          name: null,
          ownerId: null,
          expiresAt: null,
          enabled: false,
          scopes: [],
          meta: {},
        });
        expect(await store.findKey(key.record.id)).toEqual(key.record);
      });

      it("findKey() round-trips a revocation, last use and rotation links given at creation", async () => {
        const key = await fx.createKey(project.id, {
          revokedAt: T0 + 5,
          revokedReason: "imported revoked",
          lastUsedAt: T0 + 4,
          replacedBy: newId("key"),
          replaces: newId("key"),
        });
        expect(await store.findKey(key.record.id)).toEqual(key.record);
        expect((await store.findKeyByDigest(key.digest))?.record).toEqual(key.record);
      });

      it("findKey() returns null for an unknown id", async () => {
        await fx.createKey(project.id);
        expect(await store.findKey(newId("key"))).toBeNull();
      });

      it("findKeyByDigest() returns the record and its digest for a known digest", async () => {
        const key = await fx.createKey(project.id);
        await fx.createKey(project.id);
        const found = await store.findKeyByDigest(key.digest);
        expect(found).not.toBeNull();
        expect(found?.record).toEqual(key.record);
        expectSameFields(found?.record as KeyRecord, key.record);
        expect(Buffer.from(found?.digest as Uint8Array).equals(key.digest)).toBe(true);
      });

      it("findKeyByDigest() returns null for an unknown digest, including one that only differs in its last byte", async () => {
        const key = await fx.createKey(project.id);
        expect(await store.findKeyByDigest(digestKey(generateKey({ prefix: "acme" }), fx.pepper))).toBeNull();
        const almost = Buffer.from(key.digest);
        almost[almost.length - 1] = (almost.at(-1) as number) ^ 1;
        expect(await store.findKeyByDigest(almost)).toBeNull();
        expect(await store.findKeyByDigest(key.digest.subarray(0, 16))).toBeNull();
      });

      it("createKey() with a digest already stored throws CONFLICT and stores nothing", async () => {
        const first = await fx.createKey(project.id);
        const second = fx.makeKey(project.id);
        await expectKeywardError(
          store.createKey({ record: second.record, digest: first.digest, pepperVersion: 1 }),
          "CONFLICT",
        );
        expect(await store.findKey(second.record.id)).toBeNull();
        expect((await store.findKeyByDigest(first.digest))?.record).toEqual(first.record);
      });

      it("createKey() with an id already stored throws CONFLICT and stores nothing", async () => {
        const first = await fx.createKey(project.id);
        const second = fx.makeKey(project.id, { id: first.record.id, name: "impostor" });
        await expectKeywardError(
          store.createKey({ record: second.record, digest: second.digest, pepperVersion: 1 }),
          "CONFLICT",
        );
        expect(await store.findKey(first.record.id)).toEqual(first.record);
        expect(await store.findKeyByDigest(second.digest)).toBeNull();
      });

      describe("listKeys()", () => {
        let other: ProjectRecord;
        let all: KeyRecord[];
        beforeEach(async () => {
          other = await fx.createProject({ name: "other" });
          const owners = ["alice", "bob", null, "alice", "bob", "alice"];
          const made = owners.map((ownerId, i) =>
            fx.makeKey(i % 2 === 0 ? project.id : other.id, { ownerId }),
          );
          all = made.map((k) => k.record);
          // Inserted out of creation order: listing follows ids, not insertion.
          for (const i of [4, 1, 5, 0, 3, 2]) {
            const key = made[i] as NewKey;
            await store.createKey({ record: key.record, digest: key.digest, pepperVersion: 1 });
          }
        });

        it("lists every project's keys in id order when projectIds is null", async () => {
          const listed = await store.listKeys({ projectIds: null, limit: 100 });
          expect(listed).toEqual(all);
          for (const record of listed) expectSameFields(record, all[0] as KeyRecord);
        });

        it("lists only the named projects' keys", async () => {
          const mine = await store.listKeys({ projectIds: [project.id], limit: 100 });
          expect(mine).toEqual(all.filter((k) => k.projectId === project.id));
          const both = await store.listKeys({ projectIds: [other.id, project.id], limit: 100 });
          expect(both).toEqual(all);
          expect(await store.listKeys({ projectIds: [newId("proj")], limit: 100 })).toEqual([]);
        });

        it("lists nothing when projectIds is empty", async () => {
          expect(await store.listKeys({ projectIds: [], limit: 100 })).toEqual([]);
        });

        it("lists only one owner's keys, combined with the project filter", async () => {
          expect(await store.listKeys({ projectIds: null, ownerId: "alice", limit: 100 })).toEqual(
            all.filter((k) => k.ownerId === "alice"),
          );
          expect(await store.listKeys({ projectIds: [other.id], ownerId: "alice", limit: 100 })).toEqual(
            all.filter((k) => k.ownerId === "alice" && k.projectId === other.id),
          );
          expect(await store.listKeys({ projectIds: null, ownerId: "nobody", limit: 100 })).toEqual([]);
        });

        it("pages in id order with limit and after, visiting every key once", async () => {
          const pages = await collectPages((after) =>
            store.listKeys(
              after === undefined ? { projectIds: null, limit: 4 } : { projectIds: null, limit: 4, after },
            ),
          );
          expect(pages.map((p) => p.length)).toEqual([4, 2]);
          expect(pages.flat()).toEqual(all);
        });

        it("pages within a filter, so after skips only keys the filter would show", async () => {
          const alice = all.filter((k) => k.ownerId === "alice");
          const pages = await collectPages((after) =>
            store.listKeys({ projectIds: null, ownerId: "alice", limit: 1, ...(after ? { after } : {}) }),
          );
          expect(pages).toEqual(alice.map((k) => [k]));
        });
      });

      describe("updateKey()", () => {
        it("changes only the patched field and sets updatedAt, for each field on its own", async () => {
          const key = await fx.createKey(project.id);
          const patches = [
            { name: "renamed" },
            { ownerId: "cust_2" },
            { scopes: ["a:b", "c:*"] },
            { meta: { plan: "enterprise", seats: 10 } },
            { expiresAt: T0 + 999_999_999 },
            { enabled: false },
            { enabled: true },
          ];
          let expected = key.record;
          for (const [i, patch] of patches.entries()) {
            const now = T0 + 1_000_000 + i;
            const updated = await store.updateKey(key.record.id, patch, now);
            expected = { ...expected, ...patch, updatedAt: now };
            expect(updated).toEqual(expected);
            expectSameFields(updated as KeyRecord, expected);
            expect(await store.findKey(key.record.id)).toEqual(expected);
          }
          expect(expected.createdAt).toBe(key.record.createdAt);
        });

        it("applies several fields at once", async () => {
          const key = await fx.createKey(project.id);
          const now = T0 + 5_000_000;
          const updated = await store.updateKey(
            key.record.id,
            { name: "both", scopes: [], enabled: false },
            now,
          );
          expect(updated).toEqual({
            ...key.record,
            name: "both",
            scopes: [],
            enabled: false,
            updatedAt: now,
          });
        });

        it("null clears name, ownerId and expiresAt", async () => {
          const key = await fx.createKey(project.id);
          const now = T0 + 5_000_000;
          const updated = await store.updateKey(
            key.record.id,
            { name: null, ownerId: null, expiresAt: null },
            now,
          );
          expect(updated).toEqual({
            ...key.record,
            name: null,
            ownerId: null,
            expiresAt: null,
            updatedAt: now,
          });
          expect(await store.findKey(key.record.id)).toEqual(updated);
        });

        it("leaves other keys alone", async () => {
          const key = await fx.createKey(project.id);
          const bystander = await fx.createKey(project.id);
          await store.updateKey(key.record.id, { name: "changed" }, T0 + 5_000_000);
          expect(await store.findKey(bystander.record.id)).toEqual(bystander.record);
        });

        it("returns null for an unknown id and creates nothing", async () => {
          const id = newId("key");
          expect(await store.updateKey(id, { name: "ghost" }, T0)).toBeNull();
          expect(await store.findKey(id)).toBeNull();
        });
      });

      describe("revokeKey()", () => {
        it("sets revokedAt and revokedReason and returns the revoked record", async () => {
          const key = await fx.createKey(project.id);
          const now = T0 + 7_000_000;
          const revoked = await store.revokeKey(key.record.id, "leaked in a log", now);
          expect(revoked).toMatchObject({ revokedAt: now, revokedReason: "leaked in a log" });
          expect(revoked).toMatchObject({
            name: key.record.name,
            scopes: key.record.scopes,
            enabled: key.record.enabled,
          });
          expectSameFields(revoked as KeyRecord, key.record);
          expect(await store.findKey(key.record.id)).toEqual(revoked);
        });

        it("revokes once: a second revoke keeps the first time and reason", async () => {
          const key = await fx.createKey(project.id);
          const first = await store.revokeKey(key.record.id, "first", T0 + 7_000_000);
          const second = await store.revokeKey(key.record.id, "second", T0 + 8_000_000);
          expect(second).toEqual(first);
          expect(second).toMatchObject({ revokedAt: T0 + 7_000_000, revokedReason: "first" });
          const third = await store.revokeKey(key.record.id, null, T0 + 9_000_000);
          expect(third).toMatchObject({ revokedAt: T0 + 7_000_000, revokedReason: "first" });
        });

        it("accepts a null reason", async () => {
          const key = await fx.createKey(project.id);
          const revoked = await store.revokeKey(key.record.id, null, T0 + 7_000_000);
          expect(revoked).toMatchObject({ revokedAt: T0 + 7_000_000, revokedReason: null });
        });

        it("returns null for an unknown id", async () => {
          expect(await store.revokeKey(newId("key"), "nope", T0)).toBeNull();
        });
      });

      describe("recordKeyUsage()", () => {
        it("sets lastUsedAt on a never-used key", async () => {
          const key = await fx.createKey(project.id);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 100, count: 3 }]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 100);
        });

        it("only moves lastUsedAt forward", async () => {
          const key = await fx.createKey(project.id);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 1_000, count: 1 }]);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 500, count: 1 }]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 1_000);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 2_000, count: 1 }]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 2_000);
        });

        it("writes a batch of several keys, and the latest time when one id appears twice", async () => {
          const a = await fx.createKey(project.id);
          const b = await fx.createKey(project.id);
          const untouched = await fx.createKey(project.id);
          await store.recordKeyUsage([
            { id: a.record.id, lastUsedAt: T0 + 300, count: 2 },
            { id: b.record.id, lastUsedAt: T0 + 200, count: 1 },
            { id: a.record.id, lastUsedAt: T0 + 100, count: 1 },
          ]);
          expect((await store.findKey(a.record.id))?.lastUsedAt).toBe(T0 + 300);
          expect((await store.findKey(b.record.id))?.lastUsedAt).toBe(T0 + 200);
          expect(await store.findKey(untouched.record.id)).toEqual(untouched.record);
        });

        it("ignores unknown ids and still writes the known ones", async () => {
          const key = await fx.createKey(project.id);
          await store.recordKeyUsage([
            { id: newId("key"), lastUsedAt: T0 + 50, count: 1 },
            { id: key.record.id, lastUsedAt: T0 + 60, count: 1 },
          ]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 60);
          expect(await store.listKeys({ projectIds: null, limit: 10 })).toHaveLength(1);
        });

        it("accepts an empty batch", async () => {
          const key = await fx.createKey(project.id);
          await expect(store.recordKeyUsage([])).resolves.toBeUndefined();
          expect(await store.findKey(key.record.id)).toEqual(key.record);
        });
      });

      it("round-trips meta and scopes through JSON, with unicode and nesting, on create, update and list", async () => {
        const scopes = ["orders:read", "billing:*", "données.lecture", "*"];
        const key = await fx.createKey(project.id, { meta: RICH_META, scopes, name: "名前 🔑" });
        expect(await store.findKey(key.record.id)).toEqual(key.record);
        expect((await store.findKeyByDigest(key.digest))?.record).toEqual(key.record);
        expect(await store.listKeys({ projectIds: null, limit: 10 })).toEqual([key.record]);

        const plain = await fx.createKey(project.id);
        const updated = await store.updateKey(plain.record.id, { meta: RICH_META, scopes }, T0 + 1);
        expect(updated?.meta).toEqual(RICH_META);
        expect(updated?.scopes).toEqual(scopes);
        expect((await store.findKey(plain.record.id))?.meta).toEqual(RICH_META);
      });
    });

    describe("tokens", () => {
      it("findToken() and findTokenByDigest() return exactly the stored token, with a null or listed projectIds", async () => {
        const project = await fx.createProject();
        const everywhere = await fx.createToken({ projectIds: null });
        const limited = await fx.createToken({
          projectIds: [project.id],
          createdBy: everywhere.record.id,
          permissions: ["keys:verify"],
        });
        for (const token of [everywhere, limited]) {
          const found = await store.findToken(token.record.id);
          expect(found).toEqual(token.record);
          expectSameFields(found as TokenRecord, token.record);
          const byDigest = await store.findTokenByDigest(token.digest);
          expect(byDigest?.record).toEqual(token.record);
          expectSameFields(byDigest?.record as TokenRecord, token.record);
          expect(Buffer.from(byDigest?.digest as Uint8Array).equals(token.digest)).toBe(true);
        }
      });

      it("findToken() and findTokenByDigest() return null for unknown ids and digests", async () => {
        await fx.createToken();
        expect(await store.findToken(newId("tok"))).toBeNull();
        expect(await store.findTokenByDigest(randomBytes(32))).toBeNull();
      });

      it("a token never matches a key's digest lookup, nor a key a token's", async () => {
        const project = await fx.createProject();
        const key = await fx.createKey(project.id);
        const token = await fx.createToken();
        expect(await store.findKeyByDigest(token.digest)).toBeNull();
        expect(await store.findTokenByDigest(key.digest)).toBeNull();
      });

      it("createToken() with a digest or id already stored throws CONFLICT", async () => {
        const first = await fx.createToken();
        await expectKeywardError(
          store.createToken({ record: fx.makeToken().record, digest: first.digest, pepperVersion: 1 }),
          "CONFLICT",
        );
        const sameId = fx.makeToken({ id: first.record.id, name: "impostor" });
        await expectKeywardError(store.createToken(sameId), "CONFLICT");
        expect(await store.findToken(first.record.id)).toEqual(first.record);
        expect(await store.listTokens({ limit: 10 })).toEqual([first.record]);
      });

      it("listTokens() pages in id order, without digests", async () => {
        const made = [fx.makeToken(), fx.makeToken(), fx.makeToken()];
        for (const i of [2, 0, 1]) await store.createToken(made[i] as NewToken);
        const pages = await collectPages((after) =>
          store.listTokens(after === undefined ? { limit: 2 } : { limit: 2, after }),
        );
        expect(pages.map((p) => p.length)).toEqual([2, 1]);
        expect(pages.flat()).toEqual(made.map((t) => t.record));
        for (const record of pages.flat()) expectSameFields(record, made[0]?.record as TokenRecord);
      });

      it("revokeToken() sets revokedAt once: a second revoke keeps the first time", async () => {
        const token = await fx.createToken();
        const first = await store.revokeToken(token.record.id, T0 + 10);
        expect(first).toEqual({ ...token.record, revokedAt: T0 + 10 });
        expect(await store.revokeToken(token.record.id, T0 + 20)).toEqual(first);
        expect(await store.findToken(token.record.id)).toEqual(first);
        expect((await store.findTokenByDigest(token.digest))?.record.revokedAt).toBe(T0 + 10);
      });

      it("revokeToken() returns null for an unknown id", async () => {
        expect(await store.revokeToken(newId("tok"), T0)).toBeNull();
      });

      it("recordTokenUsage() only moves lastUsedAt forward, ignores unknown ids and accepts an empty batch", async () => {
        const token = await fx.createToken();
        await store.recordTokenUsage([]);
        expect(await store.findToken(token.record.id)).toEqual(token.record);
        await store.recordTokenUsage([
          { id: token.record.id, lastUsedAt: T0 + 1_000, count: 4 },
          { id: newId("tok"), lastUsedAt: T0 + 5_000, count: 1 },
        ]);
        expect((await store.findToken(token.record.id))?.lastUsedAt).toBe(T0 + 1_000);
        await store.recordTokenUsage([{ id: token.record.id, lastUsedAt: T0 + 10, count: 1 }]);
        expect((await store.findToken(token.record.id))?.lastUsedAt).toBe(T0 + 1_000);
        await store.recordTokenUsage([{ id: token.record.id, lastUsedAt: T0 + 3_000, count: 1 }]);
        expect((await store.findToken(token.record.id))?.lastUsedAt).toBe(T0 + 3_000);
        expect(await store.listTokens({ limit: 10 })).toHaveLength(1);
      });

      it("round-trips unicode token names and permission lists", async () => {
        const token = await fx.createToken({ name: "déploiement — 本番 🚀", permissions: ["*"] });
        expect(await store.findToken(token.record.id)).toEqual(token.record);
      });
    });

    describe("updateProject()", () => {
      it("createProject() and findProject() round-trip every policy", async () => {
        const policies = { maxLifetime: "P1Y", rotationPeriod: "P90D", inactivityRevocation: "P30DT12H" };
        const project = await fx.createProject({ policies: { ...policies, expiryNotice: "PT36H" } });
        expect(await store.findProject(project.id)).toEqual(project);
      });

      it("changes only the name when only the name is patched", async () => {
        const project = await fx.createProject({ policies: { maxLifetime: "P90D" } });
        const updated = await store.updateProject(project.id, { name: "renamed — 名前 🔑" });
        expect(updated).toEqual({ ...project, name: "renamed — 名前 🔑" });
        expectSameFields(updated as ProjectRecord, project);
        expect(await store.findProject(project.id)).toEqual(updated);
      });

      it("replaces the policies as a whole, round-tripping each one, and {} removes them all", async () => {
        const project = await fx.createProject();
        const all = {
          maxLifetime: "P1Y",
          rotationPeriod: "P90D",
          inactivityRevocation: "P30DT12H",
          expiryNotice: "PT36H",
        };
        expect(await store.updateProject(project.id, { policies: all })).toEqual({
          ...project,
          policies: all,
        });
        expect(await store.findProject(project.id)).toEqual({ ...project, policies: all });
        const fewer = { rotationPeriod: "P30D" };
        expect(await store.updateProject(project.id, { policies: fewer })).toEqual({
          ...project,
          policies: fewer,
        });
        expect(await store.findProject(project.id)).toEqual({ ...project, policies: fewer });
        expect(await store.updateProject(project.id, { policies: {} })).toEqual(project);
        expect(await store.listProjects({ limit: 10 })).toEqual([project]);
      });

      it("applies name and policies together, and an empty patch changes nothing", async () => {
        const project = await fx.createProject();
        const both = { name: "both", policies: { expiryNotice: "P14D" } };
        expect(await store.updateProject(project.id, both)).toEqual({ ...project, ...both });
        expect(await store.updateProject(project.id, {})).toEqual({ ...project, ...both });
      });

      it("returns null for an unknown id, creates nothing and leaves other projects alone", async () => {
        const project = await fx.createProject();
        const id = newId("proj");
        expect(await store.updateProject(id, { name: "ghost", policies: { maxLifetime: "P1D" } })).toBeNull();
        expect(await store.findProject(id)).toBeNull();
        expect(await store.listProjects({ limit: 10 })).toEqual([project]);
      });
    });

    describe("events of key changes", () => {
      let project: ProjectRecord;
      let all: WebhookRecord;
      let createdOnly: WebhookRecord;
      let disabled: WebhookRecord;
      let elsewhere: WebhookRecord;

      beforeEach(async () => {
        project = await fx.createProject();
        const other = await fx.createProject({ name: "other" });
        all = (await fx.createWebhook(project.id, { events: ["*"] })).record;
        createdOnly = (await fx.createWebhook(project.id, { events: ["key.created"] })).record;
        disabled = (await fx.createWebhook(project.id, { events: ["*"], enabled: false })).record;
        elsewhere = (await fx.createWebhook(other.id, { events: ["*"] })).record;
      });

      /** What each of the project's webhooks, and the other project's, has deliveries for. */
      async function seen(): Promise<Record<"all" | "createdOnly" | "disabled" | "elsewhere", SeenEvent[]>> {
        return {
          all: await fx.eventsSeenBy(all.id),
          createdOnly: await fx.eventsSeenBy(createdOnly.id),
          disabled: await fx.eventsSeenBy(disabled.id),
          elsewhere: await fx.eventsSeenBy(elsewhere.id),
        };
      }

      it("createKey() writes its events with the key, for the project's enabled webhooks subscribed to them", async () => {
        const key = fx.makeKey(project.id);
        const events = fx.keyEvents("key.created", "key.updated")(key.record);
        await store.createKey({ record: key.record, digest: key.digest, pepperVersion: 1 }, events);
        const created = { type: "key.created", keyId: key.record.id };
        const updated = { type: "key.updated", keyId: key.record.id };
        expect(await seen()).toEqual({
          all: [created, updated],
          createdOnly: [created],
          disabled: [],
          elsewhere: [],
        });
      });

      it("createKey() without events writes none", async () => {
        await fx.createKey(project.id);
        expect(await seen()).toEqual({ all: [], createdOnly: [], disabled: [], elsewhere: [] });
      });

      it("createKey() that conflicts writes none of its events", async () => {
        const first = await fx.createKey(project.id);
        const second = fx.makeKey(project.id);
        const events = fx.keyEvents("key.created")(second.record);
        await expectKeywardError(
          store.createKey({ record: second.record, digest: first.digest, pepperVersion: 1 }, events),
          "CONFLICT",
        );
        expect(await seen()).toEqual({ all: [], createdOnly: [], disabled: [], elsewhere: [] });
      });

      it("createKey() whose event cannot be written stores no key", async () => {
        const first = fx.makeKey(project.id);
        const [event] = fx.keyEvents("key.created")(first.record);
        await store.createKey({ record: first.record, digest: first.digest, pepperVersion: 1 }, [
          event as NewEvent,
        ]);
        const second = fx.makeKey(project.id);
        // An event id already in the outbox: the event insert fails, so the key insert must roll back with it.
        const clash = { ...(event as NewEvent), keyId: second.record.id };
        await expectKeywardError(
          store.createKey({ record: second.record, digest: second.digest, pepperVersion: 1 }, [clash]),
          "CONFLICT",
        );
        expect(await store.findKey(second.record.id)).toBeNull();
        expect(await store.findKeyByDigest(second.digest)).toBeNull();
        expect((await seen()).all).toEqual([{ type: "key.created", keyId: first.record.id }]);
      });

      it("updateKey() builds its events from the updated record and writes them with the change", async () => {
        const key = await fx.createKey(project.id);
        const given: KeyRecord[] = [];
        const updated = await store.updateKey(key.record.id, { name: "renamed" }, NOW, (record) => {
          given.push(record);
          return fx.keyEvents("key.updated")(record);
        });
        expect(given).toEqual([updated]);
        expect(updated).toMatchObject({ name: "renamed", updatedAt: NOW });
        const event = { type: "key.updated", keyId: key.record.id };
        expect(await seen()).toEqual({ all: [event], createdOnly: [], disabled: [], elsewhere: [] });
      });

      it("updateKey() of an unknown id returns null and writes no event", async () => {
        expect(
          await store.updateKey(newId("key"), { name: "ghost" }, NOW, fx.keyEvents("key.updated")),
        ).toBeNull();
        expect((await seen()).all).toEqual([]);
      });

      it("updateKey() whose event cannot be written leaves the key unchanged", async () => {
        const key = await fx.createKey(project.id);
        const [event] = fx.keyEvents("key.created")(key.record);
        await store.updateKey(key.record.id, { name: "first" }, NOW, () => [event as NewEvent]);
        const before = await store.findKey(key.record.id);
        await expectKeywardError(
          store.updateKey(key.record.id, { name: "second" }, NOW + 1, () => [event as NewEvent]),
          "CONFLICT",
        );
        expect(await store.findKey(key.record.id)).toEqual(before);
        expect(before).toMatchObject({ name: "first" });
      });

      it("revokeKey() writes its events once: revoking an already revoked key writes none", async () => {
        const key = await fx.createKey(project.id);
        const given: KeyRecord[] = [];
        const effectsFor = (record: KeyRecord): NewEvent[] => {
          given.push(record);
          return fx.keyEvents("key.revoked")(record);
        };
        const revoked = await store.revokeKey(key.record.id, "leaked", NOW, effectsFor);
        expect(given).toEqual([revoked]);
        expect(revoked).toMatchObject({ revokedAt: NOW, revokedReason: "leaked" });
        expect(await store.revokeKey(key.record.id, "again", NOW + 1, effectsFor)).toEqual(revoked);
        const event = { type: "key.revoked", keyId: key.record.id };
        expect(await seen()).toEqual({ all: [event], createdOnly: [], disabled: [], elsewhere: [] });
      });

      it("revokeKey() of an unknown id returns null and writes no event", async () => {
        expect(await store.revokeKey(newId("key"), null, NOW, fx.keyEvents("key.revoked"))).toBeNull();
        expect((await seen()).all).toEqual([]);
      });

      it("a webhook subscribed to `*` gets every type, a webhook listing types only those", async () => {
        const key = await fx.createKey(
          project.id,
          {},
          fx.keyEvents("key.created")(fx.makeKey(project.id).record),
        );
        await store.updateKey(key.record.id, { enabled: false }, NOW, fx.keyEvents("key.updated"));
        await store.revokeKey(key.record.id, null, NOW + 1, fx.keyEvents("key.revoked", "key.created"));
        const types = (events: SeenEvent[]): string[] => events.map((e) => e.type);
        const observed = await seen();
        expect(types(observed.all)).toEqual(["key.created", "key.updated", "key.revoked", "key.created"]);
        expect(types(observed.createdOnly)).toEqual(["key.created", "key.created"]);
      });
    });

    describe("revokeKeys()", () => {
      let a: ProjectRecord;
      let b: ProjectRecord;
      let c: ProjectRecord;

      beforeEach(async () => {
        a = await fx.createProject({ name: "a" });
        b = await fx.createProject({ name: "b" });
        c = await fx.createProject({ name: "c" });
      });

      /** Keys of every project and two owners, and one of alice's keys already revoked. */
      async function createKeys() {
        const keys = {
          aliceA: await fx.createKey(a.id, { ownerId: "alice" }),
          bobA: await fx.createKey(a.id, { ownerId: "bob" }),
          aliceB: await fx.createKey(b.id, { ownerId: "alice" }),
          bobB: await fx.createKey(b.id, { ownerId: "bob" }),
          aliceC: await fx.createKey(c.id, { ownerId: "alice" }),
          nobodyC: await fx.createKey(c.id, { ownerId: null }),
        };
        const oldRevocation = await fx.createKey(a.id, { ownerId: "alice" });
        const revoked = (await store.revokeKey(oldRevocation.record.id, "earlier", T0 + 500)) as KeyRecord;
        return { ...keys, revoked };
      }

      /** Checks that exactly `expected` were revoked by this call, and every other key is as it was. */
      async function expectRevoked(
        result: KeyRecord[],
        expected: NewKey[],
        untouched: readonly (NewKey | KeyRecord)[],
      ): Promise<void> {
        expect(sortedIds(result)).toEqual(sortedIds(expected));
        for (const record of result) {
          expect(record).toMatchObject({ revokedAt: NOW, revokedReason: "offboarded" });
          expect(await store.findKey(record.id)).toEqual(record);
        }
        for (const key of untouched) {
          const record = "record" in key ? key.record : key;
          expect(await store.findKey(record.id)).toEqual(record);
        }
      }

      it("revokes every unrevoked key of one owner across all projects, returning them", async () => {
        const k = await createKeys();
        const result = await store.revokeKeys({
          projectIds: null,
          ownerId: "alice",
          reason: "offboarded",
          nowMs: NOW,
          limit: 100,
        });
        await expectRevoked(result, [k.aliceA, k.aliceB, k.aliceC], [k.bobA, k.bobB, k.nobodyC, k.revoked]);
        expect(await store.findKey(k.revoked.id)).toMatchObject({
          revokedAt: T0 + 500,
          revokedReason: "earlier",
        });
      });

      it("revokes every unrevoked key of the listed projects", async () => {
        const k = await createKeys();
        const result = await store.revokeKeys({
          projectIds: [a.id, b.id],
          reason: "offboarded",
          nowMs: NOW,
          limit: 100,
        });
        await expectRevoked(result, [k.aliceA, k.bobA, k.aliceB, k.bobB], [k.aliceC, k.nobodyC, k.revoked]);
      });

      it("combines the owner and project filters", async () => {
        const k = await createKeys();
        const result = await store.revokeKeys({
          projectIds: [b.id, newId("proj")],
          ownerId: "alice",
          reason: "offboarded",
          nowMs: NOW,
          limit: 100,
        });
        await expectRevoked(result, [k.aliceB], [k.aliceA, k.bobA, k.bobB, k.aliceC, k.nobodyC, k.revoked]);
      });

      it("revokes every unrevoked key of every project when projectIds is null and no owner is given", async () => {
        const k = await createKeys();
        const result = await store.revokeKeys({
          projectIds: null,
          reason: "offboarded",
          nowMs: NOW,
          limit: 100,
        });
        await expectRevoked(result, [k.aliceA, k.bobA, k.aliceB, k.bobB, k.aliceC, k.nobodyC], [k.revoked]);
      });

      it("revokes nothing when projectIds is empty, even with an owner, or when nothing matches", async () => {
        const k = await createKeys();
        const everyKey = [k.aliceA, k.bobA, k.aliceB, k.bobB, k.aliceC, k.nobodyC, k.revoked];
        const query = { reason: "offboarded", nowMs: NOW, limit: 100 };
        expect(await store.revokeKeys({ ...query, projectIds: [] })).toEqual([]);
        expect(await store.revokeKeys({ ...query, projectIds: [], ownerId: "alice" })).toEqual([]);
        expect(await store.revokeKeys({ ...query, projectIds: null, ownerId: "nobody" })).toEqual([]);
        expect(await store.revokeKeys({ ...query, projectIds: [c.id], ownerId: "bob" })).toEqual([]);
        await expectRevoked([], [], everyKey);
      });

      it("revokes at most limit keys per call, and calls repeated until fewer come back revoke each key once", async () => {
        const made: NewKey[] = [];
        for (let i = 0; i < 5; i++) made.push(await fx.createKey(a.id, { ownerId: "alice" }));
        const bystander = await fx.createKey(a.id, { ownerId: "bob" });
        const batches: KeyRecord[][] = [];
        for (;;) {
          const batch = await store.revokeKeys({
            projectIds: [a.id],
            ownerId: "alice",
            reason: "offboarded",
            nowMs: NOW,
            limit: 2,
          });
          batches.push(batch);
          if (batch.length < 2) break;
        }
        expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
        await expectRevoked(batches.flat(), made, [bystander]);
        expect(
          await store.revokeKeys({ projectIds: [a.id], ownerId: "alice", reason: "x", nowMs: NOW, limit: 2 }),
        ).toEqual([]);
      });

      it("writes each revoked key's events, built from its revoked record, and none for keys left alone", async () => {
        const k = await createKeys();
        const watchA = (await fx.createWebhook(a.id)).record;
        const watchB = (await fx.createWebhook(b.id)).record;
        const given: KeyRecord[] = [];
        const result = await store.revokeKeys(
          { projectIds: null, ownerId: "alice", reason: "offboarded", nowMs: NOW, limit: 100 },
          (record) => {
            given.push(record);
            return fx.keyEvents("key.revoked")(record);
          },
        );
        expect(sortedIds(given)).toEqual(sortedIds(result));
        for (const record of given)
          expect(record).toMatchObject({ revokedAt: NOW, revokedReason: "offboarded" });
        expect(await fx.eventsSeenBy(watchA.id)).toEqual([
          { type: "key.revoked", keyId: k.aliceA.record.id },
        ]);
        expect(await fx.eventsSeenBy(watchB.id)).toEqual([
          { type: "key.revoked", keyId: k.aliceB.record.id },
        ]);
      });
    });

    describe("rotateKey()", () => {
      let project: ProjectRecord;
      let watcher: WebhookRecord;

      beforeEach(async () => {
        project = await fx.createProject();
        watcher = (await fx.createWebhook(project.id)).record;
      });

      function rotationOf(old: NewKey, oldExpiresAt = NOW + DAY_MS): KeyRotation & { replacement: NewKey } {
        const replacement = fx.makeKey(project.id, {
          replaces: old.record.id,
          createdAt: NOW,
          updatedAt: NOW,
          expiresAt: NOW + 90 * DAY_MS,
        });
        return { oldId: old.record.id, replacement, oldExpiresAt, nowMs: NOW };
      }

      function rotationEvents(old: KeyRecord, replacement: KeyRecord): NewEvent[] {
        return [...fx.keyEvents("key.rotated")(old), ...fx.keyEvents("key.created")(replacement)];
      }

      async function expectNotStored(replacement: NewKey): Promise<void> {
        expect(await store.findKey(replacement.record.id)).toBeNull();
        expect(await store.findKeyByDigest(replacement.digest)).toBeNull();
      }

      it("inserts the replacement and points the old key at it, returning both as stored", async () => {
        const old = await fx.createKey(project.id, { expiresAt: null });
        const rotation = rotationOf(old);
        const outcome = await store.rotateKey(rotation);
        const expectedOld = {
          ...old.record,
          replacedBy: rotation.replacement.record.id,
          expiresAt: NOW + DAY_MS,
          updatedAt: NOW,
        };
        expect(outcome).toEqual({
          outcome: "rotated",
          old: expectedOld,
          replacement: rotation.replacement.record,
        });
        expect(await store.findKey(old.record.id)).toEqual(expectedOld);
        expect((await store.findKeyByDigest(old.digest))?.record).toEqual(expectedOld);
        expect(await store.findKey(rotation.replacement.record.id)).toEqual(rotation.replacement.record);
        expect((await store.findKeyByDigest(rotation.replacement.digest))?.record).toEqual(
          rotation.replacement.record,
        );
        expect(rotation.replacement.record.replaces).toBe(old.record.id);
      });

      it("gives the old key the sooner of its own expiry and the grace end", async () => {
        const later = await fx.createKey(project.id, { expiresAt: NOW + 30 * DAY_MS });
        const sooner = await fx.createKey(project.id, { expiresAt: NOW + 1_000 });
        const atGraceEnd = await fx.createKey(project.id, { expiresAt: NOW + DAY_MS });
        const rotatedLater = await store.rotateKey(rotationOf(later));
        const rotatedSooner = await store.rotateKey(rotationOf(sooner));
        const rotatedAtEnd = await store.rotateKey(rotationOf(atGraceEnd));
        expect(rotatedLater.outcome === "rotated" && rotatedLater.old.expiresAt).toBe(NOW + DAY_MS);
        expect(rotatedSooner.outcome === "rotated" && rotatedSooner.old.expiresAt).toBe(NOW + 1_000);
        expect(rotatedAtEnd.outcome === "rotated" && rotatedAtEnd.old.expiresAt).toBe(NOW + DAY_MS);
        expect((await store.findKey(sooner.record.id))?.expiresAt).toBe(NOW + 1_000);
        // A grace period of zero ends the old key now.
        const immediate = await fx.createKey(project.id);
        const rotatedNow = await store.rotateKey(rotationOf(immediate, NOW));
        expect(rotatedNow.outcome === "rotated" && rotatedNow.old.expiresAt).toBe(NOW);
      });

      it("writes the events built from both new records with the rotation", async () => {
        const old = await fx.createKey(project.id);
        const rotation = rotationOf(old);
        const given: KeyRecord[][] = [];
        const outcome = await store.rotateKey(rotation, (o, r) => {
          given.push([o, r]);
          return rotationEvents(o, r);
        });
        expect(outcome.outcome).toBe("rotated");
        if (outcome.outcome !== "rotated") return;
        expect(given).toEqual([[outcome.old, outcome.replacement]]);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([
          { type: "key.rotated", keyId: old.record.id },
          { type: "key.created", keyId: rotation.replacement.record.id },
        ]);
      });

      it("returns not_found for an unknown key, inserting nothing and writing no event", async () => {
        const rotation = { ...rotationOf(await fx.createKey(project.id)), oldId: newId("key") };
        expect(await store.rotateKey(rotation, rotationEvents)).toEqual({ outcome: "not_found" });
        await expectNotStored(rotation.replacement);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
      });

      it("returns revoked for a revoked key, leaving it unchanged and writing no event", async () => {
        const old = await fx.createKey(project.id);
        const revoked = await store.revokeKey(old.record.id, "leaked", NOW - 1);
        const rotation = rotationOf(old);
        expect(await store.rotateKey(rotation, rotationEvents)).toEqual({ outcome: "revoked" });
        expect(await store.findKey(old.record.id)).toEqual(revoked);
        await expectNotStored(rotation.replacement);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
      });

      it("returns already_rotated for a key rotated before, which keeps its first replacement", async () => {
        const old = await fx.createKey(project.id);
        const first = rotationOf(old);
        const firstOutcome = await store.rotateKey(first, rotationEvents);
        const second = rotationOf(old, NOW + 2 * DAY_MS);
        expect(await store.rotateKey(second, rotationEvents)).toEqual({ outcome: "already_rotated" });
        expect(firstOutcome.outcome === "rotated" && (await store.findKey(old.record.id))).toEqual(
          firstOutcome.outcome === "rotated" && firstOutcome.old,
        );
        await expectNotStored(second.replacement);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([
          { type: "key.rotated", keyId: old.record.id },
          { type: "key.created", keyId: first.replacement.record.id },
        ]);
      });

      it("of two concurrent rotations of one key, exactly one succeeds and only its events are written", async () => {
        const old = await fx.createKey(project.id);
        const rotations = [rotationOf(old), rotationOf(old)];
        const outcomes = await Promise.all(
          rotations.map((rotation) => store.rotateKey(rotation, rotationEvents)),
        );
        expect(outcomes.map((o) => o.outcome).sort()).toEqual(["already_rotated", "rotated"]);
        const winner = outcomes.findIndex((o) => o.outcome === "rotated");
        const won = rotations[winner] as KeyRotation & { replacement: NewKey };
        const lost = rotations[1 - winner] as KeyRotation & { replacement: NewKey };
        expect((await store.findKey(old.record.id))?.replacedBy).toBe(won.replacement.record.id);
        expect(await store.findKey(won.replacement.record.id)).toEqual(won.replacement.record);
        await expectNotStored(lost.replacement);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([
          { type: "key.rotated", keyId: old.record.id },
          { type: "key.created", keyId: won.replacement.record.id },
        ]);
      });

      it("throws CONFLICT when the replacement's digest is taken, leaving the old key unchanged", async () => {
        const old = await fx.createKey(project.id);
        const bystander = await fx.createKey(project.id);
        const rotation = rotationOf(old);
        const clash = { ...rotation, replacement: { ...rotation.replacement, digest: bystander.digest } };
        await expectKeywardError(store.rotateKey(clash, rotationEvents), "CONFLICT");
        expect(await store.findKey(old.record.id)).toEqual(old.record);
        expect(await store.findKey(rotation.replacement.record.id)).toBeNull();
        expect((await store.findKeyByDigest(bystander.digest))?.record).toEqual(bystander.record);
        expect(await fx.eventsSeenBy(watcher.id)).toEqual([]);
        // The failed attempt left nothing behind: the key can still be rotated.
        expect((await store.rotateKey(rotationOf(old))).outcome).toBe("rotated");
      });
    });
  });
}
