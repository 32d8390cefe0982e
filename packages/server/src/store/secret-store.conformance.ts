import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditEntry, systemActor } from "../audit/audit-entry.js";
import type { ChangeEffect, ProjectRecord } from "./records.js";
import type { SecretRecord, SecretStore } from "./secret-store.js";
import { collectPages, StoreFixtures } from "./store-fixtures.js";
import type { Stores } from "./stores.js";

/**
 * The one suite every {@link SecretStore} implementation must pass. `open` returns a new, empty {@link Stores}
 * bundle that has not been migrated yet; the suite migrates and closes it.
 */
export function describeSecretStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`SecretStore conformance: ${name}`, () => {
    let stores: Stores;
    let store: SecretStore;
    let fx: StoreFixtures;
    let project: ProjectRecord;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      store = stores.secrets;
      fx = new StoreFixtures(stores);
      project = await fx.createProject();
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    function makeSecret(overrides: Partial<SecretRecord> = {}): SecretRecord {
      const now = fx.nextTime();
      return {
        id: `sec_${String(now).padStart(22, "0")}`,
        projectId: project.id,
        name: `SECRET_${now}`,
        createdAt: now,
        updatedAt: now,
        createdBy: "tok_admin",
        lastRevealedAt: null,
        ...overrides,
      };
    }

    /** An audit entry as a change's effect; the audit head's seq tells whether it was written. */
    function entry(action: string): ChangeEffect {
      return auditEntry(
        systemActor("conformance"),
        { action, target: { type: "secret", id: "sec_x" }, projectId: project.id },
        fx.nextTime(),
      );
    }

    async function auditSeq(): Promise<number> {
      return (await stores.audit.auditHead()).seq;
    }

    it("stores a secret and reads back its metadata, and its sealed value only through readSealedSecret", async () => {
      const secret = makeSecret();
      await store.createSecret({ record: secret, sealedValue: '{"v":1,"ct":"x"}' }, [
        entry("secret.created"),
      ]);
      expect(await store.findSecret(secret.id)).toEqual(secret);
      expect(await store.readSealedSecret(secret.id)).toEqual({
        record: secret,
        sealedValue: '{"v":1,"ct":"x"}',
      });
      expect(await store.findSecret("sec_missing")).toBeNull();
      expect(await store.readSealedSecret("sec_missing")).toBeNull();
      expect(await auditSeq()).toBe(1);
    });

    it("refuses a name twice in one project (CONFLICT, no effects) and allows it in another project", async () => {
      const first = makeSecret({ name: "STRIPE_API_KEY" });
      await store.createSecret({ record: first, sealedValue: "a" });
      const twin = makeSecret({ name: "STRIPE_API_KEY" });
      await expect(
        store.createSecret({ record: twin, sealedValue: "b" }, [entry("x")]),
      ).rejects.toMatchObject({
        code: "CONFLICT",
      });
      expect(await store.findSecret(twin.id)).toBeNull();
      expect(await auditSeq()).toBe(0);
      const other = await fx.createProject();
      await store.createSecret({
        record: makeSecret({ name: "STRIPE_API_KEY", projectId: other.id }),
        sealedValue: "c",
      });
    });

    it("lists metadata in id order, page by page, filtered by project; an empty project list matches nothing", async () => {
      const other = await fx.createProject();
      const mine = [makeSecret(), makeSecret(), makeSecret()];
      const theirs = makeSecret({ projectId: other.id });
      for (const secret of [mine[0], theirs, mine[1], mine[2]]) {
        if (secret !== undefined) await store.createSecret({ record: secret, sealedValue: "v" });
      }
      const pages = await collectPages((after) =>
        store.listSecrets({ projectIds: null, limit: 2, ...(after === undefined ? {} : { after }) }),
      );
      expect(pages.map((page) => page.length)).toEqual([2, 2]);
      const all = pages.flat();
      // Id order (creation order), whatever the insertion order.
      expect(all.map((s) => s.id)).toEqual([...mine, theirs].map((s) => s?.id));
      expect(all.every((s) => !("sealedValue" in s) && !("sealed_value" in s))).toBe(true);
      expect(await store.listSecrets({ projectIds: [project.id], limit: 10 })).toEqual(mine);
      expect(
        await store.listSecrets({ projectIds: [project.id], limit: 10, after: mine[0]?.id ?? "" }),
      ).toEqual(mine.slice(1));
      expect(await store.listSecrets({ projectIds: [], limit: 10 })).toEqual([]);
    });

    it("replaces a sealed value with its effects, or returns null and writes none for an unknown id", async () => {
      const secret = makeSecret();
      await store.createSecret({ record: secret, sealedValue: "old" });
      const at = fx.nextTime();
      const seen: SecretRecord[] = [];
      const updated = await store.updateSecretValue(secret.id, "new", at, (record) => {
        seen.push(record);
        return [entry("secret.updated")];
      });
      expect(updated).toEqual({ ...secret, updatedAt: at });
      expect(seen).toEqual([updated]);
      expect((await store.readSealedSecret(secret.id))?.sealedValue).toBe("new");
      expect(await auditSeq()).toBe(1);
      expect(await store.updateSecretValue("sec_missing", "x", at, () => [entry("x")])).toBeNull();
      expect(await auditSeq()).toBe(1);
    });

    it("deletes once: effects only with the deletion, and the sealed value goes with it", async () => {
      const secret = makeSecret();
      await store.createSecret({ record: secret, sealedValue: "v" });
      expect(await store.deleteSecret(secret.id, [entry("secret.deleted")])).toBe(true);
      expect(await store.deleteSecret(secret.id, [entry("secret.deleted")])).toBe(false);
      expect(await store.readSealedSecret(secret.id)).toBeNull();
      expect(await auditSeq()).toBe(1);
    });

    it("marks a reveal with its effects in one step, and nothing for an unknown id", async () => {
      const secret = makeSecret();
      await store.createSecret({ record: secret, sealedValue: "v" });
      const at = fx.nextTime();
      const revealed = await store.markSecretRevealed(secret.id, at, () => [entry("secret.revealed")]);
      expect(revealed).toEqual({ ...secret, lastRevealedAt: at });
      expect(await store.findSecret(secret.id)).toEqual(revealed);
      expect(await store.markSecretRevealed("sec_missing", at, () => [entry("x")])).toBeNull();
      expect(await auditSeq()).toBe(1);
    });

    it("keeps a key's sealed copy when the key store inserts one, on creation and on rotation", async () => {
      const plain = await fx.createKey(project.id);
      const kept = fx.makeKey(project.id);
      await stores.keys.createKey({
        record: kept.record,
        digest: kept.digest,
        pepperVersion: 1,
        sealedCopy: "copy-1",
      });
      expect(await store.readKeyCopy(plain.record.id)).toBeNull();
      expect(await store.readKeyCopy(kept.record.id)).toBe("copy-1");
      expect(await store.readKeyCopy("key_missing")).toBeNull();

      const replacement = fx.makeKey(project.id, { replaces: kept.record.id });
      const rotated = await stores.keys.rotateKey({
        oldId: kept.record.id,
        replacement: {
          record: replacement.record,
          digest: replacement.digest,
          pepperVersion: 1,
          sealedCopy: "copy-2",
        },
        oldExpiresAt: fx.nextTime() + 60_000,
        nowMs: fx.nextTime(),
      });
      expect(rotated.outcome).toBe("rotated");
      expect(await store.readKeyCopy(replacement.record.id)).toBe("copy-2");
    });

    it("marks a key copy's reveal with its effects, and writes none for a key without a copy", async () => {
      const kept = fx.makeKey(project.id);
      await stores.keys.createKey({
        record: kept.record,
        digest: kept.digest,
        pepperVersion: 1,
        sealedCopy: "copy",
      });
      const plain = await fx.createKey(project.id);
      expect(await store.markKeyCopyRevealed(kept.record.id, fx.nextTime(), [entry("key.revealed")])).toBe(
        true,
      );
      expect(await store.markKeyCopyRevealed(plain.record.id, fx.nextTime(), [entry("key.revealed")])).toBe(
        false,
      );
      expect(await auditSeq()).toBe(1);
    });

    it("deletes a key's copy when the key is revoked, alone or in bulk, and keeps the others", async () => {
      const [one, bulk, kept] = [
        fx.makeKey(project.id),
        fx.makeKey(project.id, { ownerId: "cust_bulk" }),
        fx.makeKey(project.id),
      ];
      for (const key of [one, bulk, kept]) {
        await stores.keys.createKey({
          record: key.record,
          digest: key.digest,
          pepperVersion: 1,
          sealedCopy: `copy of ${key.record.id}`,
        });
      }
      await stores.keys.revokeKey(one.record.id, "leaked", fx.nextTime());
      const revoked = await stores.keys.revokeKeys({
        projectIds: [project.id],
        ownerId: "cust_bulk",
        reason: null,
        nowMs: fx.nextTime(),
        limit: 10,
      });
      expect(revoked.map((k) => k.id)).toEqual([bulk.record.id]);
      expect(await store.readKeyCopy(one.record.id)).toBeNull();
      expect(await store.readKeyCopy(bulk.record.id)).toBeNull();
      expect(await store.readKeyCopy(kept.record.id)).toBe(`copy of ${kept.record.id}`);
    });

    it("stores a project's recoverableKeys, and turning it off deletes the copies of that project's keys only", async () => {
      const other = await fx.createProject({ recoverableKeys: true });
      expect((await stores.keys.findProject(other.id))?.recoverableKeys).toBe(true);
      const on = await stores.keys.updateProject(project.id, { recoverableKeys: true });
      expect(on?.recoverableKeys).toBe(true);
      const mine = fx.makeKey(project.id);
      const theirs = fx.makeKey(other.id);
      await stores.keys.createKey({
        record: mine.record,
        digest: mine.digest,
        pepperVersion: 1,
        sealedCopy: "mine",
      });
      await stores.keys.createKey({
        record: theirs.record,
        digest: theirs.digest,
        pepperVersion: 1,
        sealedCopy: "theirs",
      });

      const off = await stores.keys.updateProject(project.id, { recoverableKeys: false });
      expect(off).toEqual({ ...project, recoverableKeys: false });
      expect(await store.readKeyCopy(mine.record.id)).toBeNull();
      expect(await store.readKeyCopy(theirs.record.id)).toBe("theirs");
    });
  });
}
