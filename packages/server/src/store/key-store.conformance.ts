import { randomBytes } from "node:crypto";
import { digestKey } from "@keyward/core/digest-key.js";
import { newId } from "@keyward/core/ids.js";
import { generateKey, keyStart } from "@keyward/core/key-format.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { DEFAULT_PROJECT_SETTING, type KeyStore, PEPPER_SETTING } from "./key-store.js";
import type { BootstrapSeed, NewKey, NewToken, ProjectRecord, TokenRecord } from "./records.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");

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

/**
 * The one suite every {@link KeyStore} implementation must pass, written only against the interface.
 * `open` returns a new, empty store that has not been migrated yet; the suite migrates and closes it.
 */
export function describeKeyStoreConformance(name: string, open: () => Promise<KeyStore>): void {
  describe(`KeyStore conformance: ${name}`, () => {
    const pepper = randomBytes(32);
    let store: KeyStore;
    let tick = 0;

    beforeEach(async () => {
      store = await open();
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
    });

    /** A time later than every earlier call's, so ids made from it sort in creation order. */
    function nextTime(): number {
      tick += 1;
      return T0 + tick;
    }

    function makeProject(overrides: Partial<ProjectRecord> = {}): ProjectRecord {
      const now = nextTime();
      return {
        id: newId("proj", { now }),
        name: "acme",
        keyPrefix: "acme",
        policies: {},
        createdAt: now,
        ...overrides,
      };
    }

    async function createProject(overrides: Partial<ProjectRecord> = {}): Promise<ProjectRecord> {
      const project = makeProject(overrides);
      await store.createProject(project);
      return project;
    }

    function makeKey(projectId: string, overrides: Partial<KeyRecord> = {}): NewKey & { key: string } {
      const now = nextTime();
      const key = generateKey({ prefix: "acme" });
      const record: KeyRecord = {
        id: newId("key", { now }),
        projectId,
        name: "checkout",
        ownerId: "cust_1",
        start: keyStart(key),
        scopes: ["orders:read", "billing:*"],
        meta: { plan: "pro" },
        createdAt: now,
        updatedAt: now,
        expiresAt: now + 86_400_000,
        enabled: true,
        revokedAt: null,
        revokedReason: null,
        lastUsedAt: null,
        replacedBy: null,
        replaces: null,
        ...overrides,
      };
      return { key, record, digest: digestKey(key, pepper) };
    }

    async function createKey(projectId: string, overrides: Partial<KeyRecord> = {}): Promise<NewKey> {
      const key = makeKey(projectId, overrides);
      await store.createKey({ record: key.record, digest: key.digest });
      return key;
    }

    function makeToken(overrides: Partial<TokenRecord> = {}): NewToken {
      const now = nextTime();
      const token = generateKey({ prefix: "kwr" });
      const record: TokenRecord = {
        id: newId("tok", { now }),
        name: "ci",
        permissions: ["keys:*", "projects:read"],
        projectIds: null,
        start: keyStart(token),
        createdBy: null,
        createdAt: now,
        revokedAt: null,
        lastUsedAt: null,
        ...overrides,
      };
      return { record, digest: digestKey(token, pepper) };
    }

    async function createToken(overrides: Partial<TokenRecord> = {}): Promise<NewToken> {
      const token = makeToken(overrides);
      await store.createToken(token);
      return token;
    }

    function makeSeed(): BootstrapSeed {
      return {
        sealedPepper: JSON.stringify({ v: 1, kid: "test", dek: randomBytes(8).toString("base64"), ct: "x" }),
        defaultProject: makeProject({ name: "default", keyPrefix: "kw" }),
        rootToken: makeToken({ name: "root", permissions: ["*"] }),
      };
    }

    /** Every page of a paged list, following `after` from one page's last id to the next page. */
    async function collectPages<T extends { id: string }>(
      list: (after: string | undefined) => Promise<T[]>,
    ): Promise<T[][]> {
      const pages: T[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await list(after);
        if (page.length === 0) return pages;
        pages.push(page);
        after = page.at(-1)?.id;
      }
    }

    function expectSameFields(actual: object, expected: object): void {
      // Exactly the record's fields: no digest, no internal counters.
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      expect(actual).not.toHaveProperty("digest");
    }

    function ids(records: readonly { id: string }[]): string[] {
      return records.map((r) => r.id);
    }

    describe("migrate()", () => {
      it("running migrate() again on a migrated store keeps every record and fails nothing", async () => {
        const project = await createProject();
        const key = await createKey(project.id);
        await store.migrate();
        await store.migrate();
        expect(await store.findProject(project.id)).toEqual(project);
        expect(await store.findKey(key.record.id)).toEqual(key.record);
      });

      it("ping() resolves on an open, migrated store", async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe("bootstrap()", () => {
      it("writes the sealed pepper, the default project, its setting and the root token, and returns true", async () => {
        const seed = makeSeed();
        expect(await store.bootstrap(seed)).toBe(true);
        expect(await store.readInstanceSetting(PEPPER_SETTING)).toBe(seed.sealedPepper);
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
        expect(await store.readInstanceSetting(PEPPER_SETTING)).toBe(first.sealedPepper);
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
        await store.createToken({ record: makeToken().record, digest: seed.rootToken.digest });
        await expectKeywardError(store.bootstrap(seed), "CONFLICT");
        expect(await store.readInstanceSetting(PEPPER_SETTING)).toBeNull();
        expect(await store.readInstanceSetting(DEFAULT_PROJECT_SETTING)).toBeNull();
        expect(await store.findProject(seed.defaultProject.id)).toBeNull();
        expect(await store.findToken(seed.rootToken.record.id)).toBeNull();

        const retry = makeSeed();
        expect(await store.bootstrap(retry)).toBe(true);
        expect(await store.readInstanceSetting(PEPPER_SETTING)).toBe(retry.sealedPepper);
      });

      it("bootstrap() writes nothing at all when its default project conflicts", async () => {
        const seed = makeSeed();
        await store.createProject({ ...seed.defaultProject, name: "squatter" });
        await expectKeywardError(store.bootstrap(seed), "CONFLICT");
        expect(await store.readInstanceSetting(PEPPER_SETTING)).toBeNull();
        expect(await store.readInstanceSetting(DEFAULT_PROJECT_SETTING)).toBeNull();
        expect(await store.findProject(seed.defaultProject.id)).toMatchObject({ name: "squatter" });
        expect(await store.findToken(seed.rootToken.record.id)).toBeNull();
      });

      it("readInstanceSetting() returns null for a setting never written, before and after bootstrap()", async () => {
        expect(await store.readInstanceSetting(PEPPER_SETTING)).toBeNull();
        expect(await store.readInstanceSetting("no_such_setting")).toBeNull();
        await store.bootstrap(makeSeed());
        expect(await store.readInstanceSetting("no_such_setting")).toBeNull();
        expect(await store.readInstanceSetting("")).toBeNull();
      });
    });

    describe("projects", () => {
      it("findProject() returns the project createProject() stored, and null for an unknown id", async () => {
        const project = await createProject({ name: "Ünïcode 🔑 project" });
        const found = await store.findProject(project.id);
        expect(found).toEqual(project);
        expectSameFields(found as ProjectRecord, project);
        expect(await store.findProject(newId("proj"))).toBeNull();
      });

      it("createProject() with an id already taken throws CONFLICT and keeps the first project", async () => {
        const project = await createProject();
        await expectKeywardError(store.createProject({ ...project, name: "other" }), "CONFLICT");
        expect(await store.findProject(project.id)).toEqual(project);
      });

      it("listProjects() pages in id order, each page starting after the previous page's last id", async () => {
        const created: ProjectRecord[] = [];
        for (let i = 0; i < 5; i++) created.push(makeProject({ name: `p${i}` }));
        // Inserted out of order: the store, not the insertion order, decides the listing order.
        for (const i of [3, 0, 4, 1, 2]) await store.createProject(created[i] as ProjectRecord);
        const pages = await collectPages((after) =>
          store.listProjects(after === undefined ? { limit: 2 } : { limit: 2, after }),
        );
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat()).toEqual(created);
        expect(await store.listProjects({ limit: 10, after: created[4]?.id as string })).toEqual([]);
      });
    });

    describe("keys", () => {
      let project: ProjectRecord;
      beforeEach(async () => {
        project = await createProject();
      });

      it("findKey() returns exactly the record createKey() stored, without a digest", async () => {
        const key = await createKey(project.id);
        const found = await store.findKey(key.record.id);
        expect(found).toEqual(key.record);
        expectSameFields(found as KeyRecord, key.record);
      });

      it("findKey() round-trips nulls, a disabled flag and an empty scope list", async () => {
        const key = await createKey(project.id, {
          name: null,
          ownerId: null,
          expiresAt: null,
          enabled: false,
          scopes: [],
          meta: {},
        });
        expect(await store.findKey(key.record.id)).toEqual(key.record);
      });

      it("findKey() returns null for an unknown id", async () => {
        await createKey(project.id);
        expect(await store.findKey(newId("key"))).toBeNull();
      });

      it("findKeyByDigest() returns the record and its digest for a known digest", async () => {
        const key = await createKey(project.id);
        await createKey(project.id);
        const found = await store.findKeyByDigest(key.digest);
        expect(found).not.toBeNull();
        expect(found?.record).toEqual(key.record);
        expectSameFields(found?.record as KeyRecord, key.record);
        expect(Buffer.from(found?.digest as Uint8Array).equals(key.digest)).toBe(true);
      });

      it("findKeyByDigest() returns null for an unknown digest, including one that only differs in its last byte", async () => {
        const key = await createKey(project.id);
        expect(await store.findKeyByDigest(digestKey(generateKey({ prefix: "acme" }), pepper))).toBeNull();
        const almost = Buffer.from(key.digest);
        almost[almost.length - 1] = (almost.at(-1) as number) ^ 1;
        expect(await store.findKeyByDigest(almost)).toBeNull();
        expect(await store.findKeyByDigest(key.digest.subarray(0, 16))).toBeNull();
      });

      it("createKey() with a digest already stored throws CONFLICT and stores nothing", async () => {
        const first = await createKey(project.id);
        const second = makeKey(project.id);
        await expectKeywardError(
          store.createKey({ record: second.record, digest: first.digest }),
          "CONFLICT",
        );
        expect(await store.findKey(second.record.id)).toBeNull();
        expect((await store.findKeyByDigest(first.digest))?.record).toEqual(first.record);
      });

      it("createKey() with an id already stored throws CONFLICT and stores nothing", async () => {
        const first = await createKey(project.id);
        const second = makeKey(project.id, { id: first.record.id, name: "impostor" });
        await expectKeywardError(
          store.createKey({ record: second.record, digest: second.digest }),
          "CONFLICT",
        );
        expect(await store.findKey(first.record.id)).toEqual(first.record);
        expect(await store.findKeyByDigest(second.digest)).toBeNull();
      });

      describe("listKeys()", () => {
        let other: ProjectRecord;
        let all: KeyRecord[];
        beforeEach(async () => {
          other = await createProject({ name: "other" });
          const owners = ["alice", "bob", null, "alice", "bob", "alice"];
          const made = owners.map((ownerId, i) => makeKey(i % 2 === 0 ? project.id : other.id, { ownerId }));
          all = made.map((k) => k.record);
          // Inserted out of creation order: listing follows ids, not insertion.
          for (const i of [4, 1, 5, 0, 3, 2]) {
            const key = made[i] as NewKey;
            await store.createKey({ record: key.record, digest: key.digest });
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
          const key = await createKey(project.id);
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
          const key = await createKey(project.id);
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
          const key = await createKey(project.id);
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
          const key = await createKey(project.id);
          const bystander = await createKey(project.id);
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
          const key = await createKey(project.id);
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
          const key = await createKey(project.id);
          const first = await store.revokeKey(key.record.id, "first", T0 + 7_000_000);
          const second = await store.revokeKey(key.record.id, "second", T0 + 8_000_000);
          expect(second).toEqual(first);
          expect(second).toMatchObject({ revokedAt: T0 + 7_000_000, revokedReason: "first" });
          const third = await store.revokeKey(key.record.id, null, T0 + 9_000_000);
          expect(third).toMatchObject({ revokedAt: T0 + 7_000_000, revokedReason: "first" });
        });

        it("accepts a null reason", async () => {
          const key = await createKey(project.id);
          const revoked = await store.revokeKey(key.record.id, null, T0 + 7_000_000);
          expect(revoked).toMatchObject({ revokedAt: T0 + 7_000_000, revokedReason: null });
        });

        it("returns null for an unknown id", async () => {
          expect(await store.revokeKey(newId("key"), "nope", T0)).toBeNull();
        });
      });

      describe("recordKeyUsage()", () => {
        it("sets lastUsedAt on a never-used key", async () => {
          const key = await createKey(project.id);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 100, count: 3 }]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 100);
        });

        it("only moves lastUsedAt forward", async () => {
          const key = await createKey(project.id);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 1_000, count: 1 }]);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 500, count: 1 }]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 1_000);
          await store.recordKeyUsage([{ id: key.record.id, lastUsedAt: T0 + 2_000, count: 1 }]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 2_000);
        });

        it("writes a batch of several keys, and the latest time when one id appears twice", async () => {
          const a = await createKey(project.id);
          const b = await createKey(project.id);
          const untouched = await createKey(project.id);
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
          const key = await createKey(project.id);
          await store.recordKeyUsage([
            { id: newId("key"), lastUsedAt: T0 + 50, count: 1 },
            { id: key.record.id, lastUsedAt: T0 + 60, count: 1 },
          ]);
          expect((await store.findKey(key.record.id))?.lastUsedAt).toBe(T0 + 60);
          expect(await store.listKeys({ projectIds: null, limit: 10 })).toHaveLength(1);
        });

        it("accepts an empty batch", async () => {
          const key = await createKey(project.id);
          await expect(store.recordKeyUsage([])).resolves.toBeUndefined();
          expect(await store.findKey(key.record.id)).toEqual(key.record);
        });
      });

      it("round-trips meta and scopes through JSON, with unicode and nesting, on create, update and list", async () => {
        const scopes = ["orders:read", "billing:*", "données.lecture", "*"];
        const key = await createKey(project.id, { meta: RICH_META, scopes, name: "名前 🔑" });
        expect(await store.findKey(key.record.id)).toEqual(key.record);
        expect((await store.findKeyByDigest(key.digest))?.record).toEqual(key.record);
        expect(await store.listKeys({ projectIds: null, limit: 10 })).toEqual([key.record]);

        const plain = await createKey(project.id);
        const updated = await store.updateKey(plain.record.id, { meta: RICH_META, scopes }, T0 + 1);
        expect(updated?.meta).toEqual(RICH_META);
        expect(updated?.scopes).toEqual(scopes);
        expect((await store.findKey(plain.record.id))?.meta).toEqual(RICH_META);
      });
    });

    describe("tokens", () => {
      it("findToken() and findTokenByDigest() return exactly the stored token, with a null or listed projectIds", async () => {
        const project = await createProject();
        const everywhere = await createToken({ projectIds: null });
        const limited = await createToken({
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
        await createToken();
        expect(await store.findToken(newId("tok"))).toBeNull();
        expect(await store.findTokenByDigest(randomBytes(32))).toBeNull();
      });

      it("a token never matches a key's digest lookup, nor a key a token's", async () => {
        const project = await createProject();
        const key = await createKey(project.id);
        const token = await createToken();
        expect(await store.findKeyByDigest(token.digest)).toBeNull();
        expect(await store.findTokenByDigest(key.digest)).toBeNull();
      });

      it("createToken() with a digest or id already stored throws CONFLICT", async () => {
        const first = await createToken();
        await expectKeywardError(
          store.createToken({ record: makeToken().record, digest: first.digest }),
          "CONFLICT",
        );
        const sameId = makeToken({ id: first.record.id, name: "impostor" });
        await expectKeywardError(store.createToken(sameId), "CONFLICT");
        expect(await store.findToken(first.record.id)).toEqual(first.record);
        expect(await store.listTokens({ limit: 10 })).toEqual([first.record]);
      });

      it("listTokens() pages in id order, without digests", async () => {
        const made = [makeToken(), makeToken(), makeToken()];
        for (const i of [2, 0, 1]) await store.createToken(made[i] as NewToken);
        const pages = await collectPages((after) =>
          store.listTokens(after === undefined ? { limit: 2 } : { limit: 2, after }),
        );
        expect(pages.map((p) => p.length)).toEqual([2, 1]);
        expect(pages.flat()).toEqual(made.map((t) => t.record));
        for (const record of pages.flat()) expectSameFields(record, made[0]?.record as TokenRecord);
      });

      it("revokeToken() sets revokedAt once: a second revoke keeps the first time", async () => {
        const token = await createToken();
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
        const token = await createToken();
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
        const token = await createToken({ name: "déploiement — 本番 🚀", permissions: ["*"] });
        expect(await store.findToken(token.record.id)).toEqual(token.record);
      });
    });
  });
}
