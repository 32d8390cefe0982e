import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKms } from "../kms/local-kms.js";
import { makeAuditContent } from "../store/audit-store.conformance.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Stores } from "../store/stores.js";
import { AuditLog } from "./audit-log.js";
import { AuditSigner } from "./audit-signer.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");
const DAY_MS = 86_400_000;

describe("AuditLog", () => {
  let stores: Stores;
  let kms: LocalKms;
  let signer: AuditSigner;

  beforeEach(async () => {
    stores = openSqliteStores({ path: ":memory:" });
    await stores.keys.migrate();
    kms = new LocalKms(randomBytes(32));
    signer = await AuditSigner.open({ store: stores.audit, kms, nowMs: T0 });
    stores.audit.useEntryMac((hash) => signer.sealOf(hash));
  });

  afterEach(async () => {
    await stores.keys.close();
  });

  function logWith(options: { checkpointEvery?: number; retentionMs?: number | null } = {}): AuditLog {
    return new AuditLog({
      store: stores.audit,
      signer,
      checkpointEvery: options.checkpointEvery ?? 5,
      retentionMs: options.retentionMs ?? null,
    });
  }

  async function append(count: number, at = T0): Promise<void> {
    await stores.audit.appendAuditEntries(Array.from({ length: count }, () => makeAuditContent({ at })));
  }

  it("opens the same signing key on every node: the first to make one wins, sealed by the KMS", async () => {
    const again = await AuditSigner.open({ store: stores.audit, kms, nowMs: T0 + 1 });
    expect(again.publicKey).toEqual(signer.publicKey);
    expect(again.sealOf("a".repeat(64))).toBe(signer.sealOf("a".repeat(64)));
    const sealed = (await stores.audit.readAuditSigningKey()) ?? "";
    expect(JSON.parse(sealed)).toMatchObject({ v: 1, kid: kms.keyId });
    // Another master key cannot open it.
    await expect(
      AuditSigner.open({ store: stores.audit, kms: new LocalKms(randomBytes(32)), nowMs: T0 }),
    ).rejects.toMatchObject({ code: "DECRYPTION_FAILED" });
  });

  it("signs one periodic checkpoint at every multiple of N, once, whichever nodes run maintenance", async () => {
    await append(12);
    const [a, b] = [logWith(), logWith()];
    const reports = await Promise.all([a.maintain(T0), b.maintain(T0)]);
    expect(reports.reduce((sum, r) => sum + r.checkpoints, 0)).toBe(2);
    expect((await stores.audit.listAuditCheckpoints()).map((c) => [c.seq, c.kind])).toEqual([
      [5, "periodic"],
      [10, "periodic"],
    ]);
    expect((await a.maintain(T0)).checkpoints).toBe(0);
    await append(3);
    expect((await a.maintain(T0)).checkpoints).toBe(1);
    expect(await a.verify()).toMatchObject({ ok: true, entries: 15, checkpoints: 3 });
  });

  it("never vouches for an entry it did not seal", async () => {
    await append(4);
    stores.audit.useEntryMac(() => "0".repeat(64));
    await append(1);
    expect((await logWith().maintain(T0)).checkpoints).toBe(0);
    expect(await logWith().checkpoint(T0)).toBeNull();
  });

  it("prunes past retention behind a pruning checkpoint, and what is left still verifies", async () => {
    await append(6, T0);
    await append(4, T0 + 40 * DAY_MS);
    const log = logWith({ retentionMs: 30 * DAY_MS, checkpointEvery: 1_000 });
    expect(await log.maintain(T0 + 45 * DAY_MS)).toEqual({ checkpoints: 0, prunedEntries: 6 });
    expect(await stores.audit.countAuditEntries({})).toBe(4);
    expect((await stores.audit.listAuditCheckpoints()).map((c) => [c.seq, c.kind])).toEqual([[6, "pruning"]]);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 4 });
    await append(1, T0 + 46 * DAY_MS);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 5 });
    expect((await log.maintain(T0 + 45 * DAY_MS)).prunedEntries).toBe(0);
  });

  it("verifies against checkpoints kept elsewhere, and refuses ones signed by another key", async () => {
    await append(3);
    const log = logWith();
    const kept = await log.checkpoint(T0);
    if (kept === null) throw new Error("expected a checkpoint");
    const keys = await log.publicKeys();
    expect(await log.verify({ extra: [kept], extraKeys: keys })).toMatchObject({ ok: true, checkpoints: 2 });
    const elsewhere = openSqliteStores({ path: ":memory:" });
    await elsewhere.keys.migrate();
    const stranger = await AuditSigner.open({ store: elsewhere.audit, kms, nowMs: T0 });
    await elsewhere.keys.close();
    const forged = stranger.sign({ seq: kept.seq, hash: kept.hash, at: T0 });
    // Claiming the real key's id with the stranger's key does not help: the id must be the key's own.
    expect(
      await log.verify({
        extra: [{ ...forged, keyId: kept.keyId }],
        extraKeys: [{ keyId: kept.keyId, publicKey: stranger.publicKey.publicKey }],
      }),
    ).toMatchObject({ ok: false, reason: "checkpoint_mismatch" });
    // A checkpoint from an exported file vouching for another hash is caught.
    expect(
      await log.verify({ extra: [signer.sign({ seq: 2, hash: "c".repeat(64), at: T0 })] }),
    ).toMatchObject({ ok: false, reason: "checkpoint_mismatch" });
  });
});
