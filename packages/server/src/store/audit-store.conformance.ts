import {
  AuditChainVerifier,
  type AuditEntry,
  type AuditEntryContent,
  GENESIS_HASH,
} from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditStore, StoredAuditCheckpoint } from "./audit-store.js";
import type { ProjectRecord } from "./records.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

/** An entry's content as a service would write it; `overrides` pick the fields a test filters on. */
export function makeAuditContent(overrides: Partial<AuditEntryContent> = {}): AuditEntryContent {
  const at = overrides.at ?? T0;
  return {
    id: newId("aud", { now: at }),
    at,
    actor: { type: "token", id: "tok_root", name: "root" },
    action: "key.created",
    target: { type: "key", id: newId("key", { now: at }) },
    projectId: null,
    sourceIp: "203.0.113.7",
    userAgent: "keyward-tests/1.0",
    requestId: "req_0000000000000000000001",
    outcome: "success",
    diff: { name: "ключ ☕", scopes: ["a", "b"], nested: { n: 1, nothing: null } },
    ...overrides,
  };
}

/** Whether `entries` (in seq order) form one unbroken chain from genesis. */
async function chainIsIntact(entries: readonly AuditEntry[]): Promise<boolean> {
  const verifier = new AuditChainVerifier({
    verifySignature: () => true,
    hasEntryWithHash: (hash) => entries.some((e) => e.hash === hash),
    start: null,
  });
  for (const entry of entries) await verifier.push(entry);
  return verifier.finish([]).ok;
}

function checkpoint(seq: number, hash: string, kind: StoredAuditCheckpoint["kind"]): StoredAuditCheckpoint {
  return { seq, hash, at: T0 + seq, keyId: "ed25519:test", signature: `sig-${kind}-${seq}`, kind };
}

/**
 * The one suite every {@link AuditStore} passes: appends chain from the head in order (concurrent ones too),
 * entries of a change commit or roll back with it, filters and both paging orders, checkpoints keyed by seq,
 * pruning behind a checkpoint, and the signing key claimed once.
 */
export function describeAuditStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`AuditStore conformance: ${name}`, () => {
    let stores: Stores;
    let audit: AuditStore;
    let fx: StoreFixtures;
    let project: ProjectRecord;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      audit = stores.audit;
      fx = new StoreFixtures(stores);
      project = await fx.createProject();
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    async function readAll(): Promise<AuditEntry[]> {
      return audit.listAuditEntries({ order: "oldest", limit: 10_000 });
    }

    it("starts empty at the genesis hash", async () => {
      expect(await audit.auditHead()).toEqual({ seq: 0, hash: GENESIS_HASH });
      expect(await readAll()).toEqual([]);
      expect(await audit.countAuditEntries({})).toBe(0);
    });

    it("chains appended entries from the head and reads them back exactly as written", async () => {
      const contents = [
        makeAuditContent(),
        makeAuditContent({ sourceIp: null, userAgent: null, requestId: null, target: null, diff: {} }),
      ];
      const appended = await audit.appendAuditEntries(contents);
      expect(appended.map((e) => e.seq)).toEqual([1, 2]);
      expect(appended[0]?.prevHash).toBe(GENESIS_HASH);
      expect(appended[1]?.prevHash).toBe(appended[0]?.hash);
      const more = await audit.appendAuditEntries([makeAuditContent({ outcome: "failure" })]);
      expect(more[0]).toMatchObject({ seq: 3, prevHash: appended[1]?.hash });
      expect(await audit.auditHead()).toEqual({ seq: 3, hash: more[0]?.hash });
      const stored = await readAll();
      expect(stored).toEqual([...appended, ...more]);
      expect(stored[0]).toMatchObject(contents[0] as AuditEntryContent);
      expect(await chainIsIntact(stored)).toBe(true);
      expect(await audit.appendAuditEntries([])).toEqual([]);
    });

    it("writes a change's entries in its transaction: with the change, or not at all", async () => {
      const key = fx.makeKey(project.id);
      await stores.keys.createKey(key, [
        makeAuditContent({ target: { type: "key", id: key.record.id }, projectId: project.id }),
      ]);
      expect((await readAll()).map((e) => e.target?.id)).toEqual([key.record.id]);
      // The same id again is a CONFLICT: the entry goes with the refused change.
      await expect(
        stores.keys.createKey(key, [makeAuditContent({ action: "key.duplicate" })]),
      ).rejects.toThrow();
      expect((await readAll()).map((e) => e.action)).toEqual(["key.created"]);
      expect((await audit.auditHead()).seq).toBe(1);
      // A change that matches nothing (revoking an unknown token) writes no entry either.
      await stores.keys.revokeToken("tok_missing", T0, () => [makeAuditContent({ action: "token.revoked" })]);
      expect(await audit.countAuditEntries({})).toBe(1);
    });

    it("keeps one unbroken chain when many changes and appends commit at once", async () => {
      await Promise.all(
        Array.from({ length: 24 }, (_, i) => {
          if (i % 3 === 0) return audit.appendAuditEntries([makeAuditContent(), makeAuditContent()]);
          const key = fx.makeKey(project.id);
          return stores.keys.createKey(key, [
            fx.makeEvent(project.id, "key.created", { keyId: key.record.id }),
            makeAuditContent({ target: { type: "key", id: key.record.id } }),
          ]);
        }),
      );
      const stored = await readAll();
      expect(stored).toHaveLength(32);
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
      expect(await chainIsIntact(stored)).toBe(true);
      expect(await audit.auditHead()).toEqual({ seq: 32, hash: stored.at(-1)?.hash });
    });

    it("filters by actor, action, target, project and time, and pages both ways by seq", async () => {
      const other = await fx.createProject({ name: "other" });
      await audit.appendAuditEntries([
        makeAuditContent({ at: T0, action: "key.created", projectId: project.id }),
        makeAuditContent({ at: T0 + 1, action: "key.revoked", projectId: project.id }),
        makeAuditContent({ at: T0 + 2, action: "key.created", projectId: other.id }),
        makeAuditContent({
          at: T0 + 3,
          action: "token.created",
          actor: { type: "token", id: "tok_ci", name: "ci" },
          target: { type: "token", id: "tok_new" },
        }),
        makeAuditContent({ at: T0 + 4, action: "key.created", projectId: project.id }),
      ]);
      const seqs = async (query: Parameters<AuditStore["listAuditEntries"]>[0]) =>
        (await audit.listAuditEntries(query)).map((e) => e.seq);
      expect(await seqs({ order: "newest", limit: 10 })).toEqual([5, 4, 3, 2, 1]);
      expect(await seqs({ order: "newest", limit: 2, beforeSeq: 4 })).toEqual([3, 2]);
      expect(await seqs({ order: "oldest", limit: 2, afterSeq: 2 })).toEqual([3, 4]);
      expect(await seqs({ order: "oldest", limit: 10, action: "key.created" })).toEqual([1, 3, 5]);
      expect(await seqs({ order: "oldest", limit: 10, actorId: "tok_ci" })).toEqual([4]);
      expect(await seqs({ order: "oldest", limit: 10, targetId: "tok_new" })).toEqual([4]);
      expect(await seqs({ order: "oldest", limit: 10, projectIds: [project.id] })).toEqual([1, 2, 5]);
      expect(await seqs({ order: "oldest", limit: 10, projectIds: [] })).toEqual([]);
      expect(await seqs({ order: "oldest", limit: 10, fromMs: T0 + 1, toMs: T0 + 4 })).toEqual([2, 3, 4]);
      expect(await audit.countAuditEntries({ action: "key.created", projectIds: [project.id] })).toBe(2);
      expect(await audit.countAuditEntries({ fromMs: T0 + 3 })).toBe(2);
    });

    it("finds entries by seq and by hash", async () => {
      const [first] = await audit.appendAuditEntries([makeAuditContent()]);
      expect(await audit.findAuditEntryAt(1)).toEqual(first);
      expect(await audit.findAuditEntryAt(2)).toBeNull();
      expect(await audit.hasAuditEntryWithHash(first?.hash ?? "")).toBe(true);
      expect(await audit.hasAuditEntryWithHash("f".repeat(64))).toBe(false);
    });

    it("keeps the first checkpoint at a seq, in seq order", async () => {
      expect(await audit.saveAuditCheckpoint(checkpoint(20, "b".repeat(64), "periodic"))).toBe(true);
      expect(await audit.saveAuditCheckpoint(checkpoint(10, "a".repeat(64), "on_demand"))).toBe(true);
      expect(await audit.saveAuditCheckpoint(checkpoint(10, "c".repeat(64), "periodic"))).toBe(false);
      expect(await audit.listAuditCheckpoints()).toEqual([
        checkpoint(10, "a".repeat(64), "on_demand"),
        checkpoint(20, "b".repeat(64), "periodic"),
      ]);
    });

    it("prunes up to a seq behind a pruning checkpoint, and the chain goes on after it", async () => {
      const entries = await audit.appendAuditEntries(Array.from({ length: 6 }, () => makeAuditContent()));
      const cut = entries[3] as AuditEntry;
      await audit.saveAuditCheckpoint(checkpoint(4, cut.hash, "periodic"));
      expect(await audit.pruneAuditEntries(checkpoint(4, cut.hash, "pruning"))).toBe(4);
      expect((await readAll()).map((e) => e.seq)).toEqual([5, 6]);
      expect(await audit.listAuditCheckpoints()).toEqual([checkpoint(4, cut.hash, "pruning")]);
      expect((await audit.auditHead()).seq).toBe(6);
      const [next] = await audit.appendAuditEntries([makeAuditContent()]);
      expect(next).toMatchObject({ seq: 7, prevHash: entries[5]?.hash });
      expect(await audit.pruneAuditEntries(checkpoint(4, cut.hash, "pruning"))).toBe(0);
    });

    it("seals every entry appended after useEntryMac(), through changes' effects too", async () => {
      const [unsealed] = await audit.appendAuditEntries([makeAuditContent()]);
      expect(unsealed?.mac).toBeNull();
      audit.useEntryMac((hash) => `mac:${hash.slice(0, 8)}`);
      const [direct] = await audit.appendAuditEntries([makeAuditContent()]);
      const key = fx.makeKey(project.id);
      await stores.keys.createKey(key, [makeAuditContent({ target: { type: "key", id: key.record.id } })]);
      const stored = await readAll();
      expect(stored.map((e) => e.mac)).toEqual([
        null,
        `mac:${direct?.hash.slice(0, 8)}`,
        `mac:${stored[2]?.hash.slice(0, 8)}`,
      ]);
    });

    it("stores the signing key once: a second claim gets the first", async () => {
      expect(await audit.readAuditSigningKey()).toBeNull();
      expect(await audit.claimAuditSigningKey("sealed-one", T0)).toBe("sealed-one");
      expect(await audit.claimAuditSigningKey("sealed-two", T0)).toBe("sealed-one");
      expect(await audit.readAuditSigningKey()).toBe("sealed-one");
    });
  });
}
