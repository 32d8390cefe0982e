import { generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AuditChainVerifier,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditEntryContent,
  canonicalJson,
  chainAuditEntry,
  checkpointSigningInput,
  GENESIS_HASH,
  hashAuditEntry,
} from "./audit-chain.js";

const T0 = Date.parse("2026-11-28T12:00:00.000Z");

function content(i: number): AuditEntryContent {
  return {
    id: `aud_${String(i).padStart(4, "0")}`,
    at: T0 + i * 1_000,
    actor: { type: "token", id: "tok_root", name: "root" },
    action: i % 2 === 0 ? "key.created" : "key.revoked",
    target: { type: "key", id: `key_${i}` },
    sourceIp: "203.0.113.7",
    userAgent: "keyward-cli/0.1",
    requestId: `req_${i}`,
    projectId: null,
    outcome: "success",
    diff: { name: { from: null, to: `key ${i}` }, scopes: ["orders:read"] },
  };
}

function chainOf(count: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 1; i <= count; i++) entries.push(chainAuditEntry(content(i), entries.at(-1) ?? null));
  return entries;
}

const keys = generateKeyPairSync("ed25519");

function checkpointAt(entry: AuditEntry): AuditCheckpoint {
  const body = { seq: entry.seq, hash: entry.hash, at: entry.at, keyId: "audit-1" };
  return { ...body, signature: sign(null, checkpointSigningInput(body), keys.privateKey).toString("base64") };
}

/** Verifies `entries` as a store would feed them: in seq order, with an index of every stored hash. */
async function verifyLog(entries: readonly AuditEntry[], checkpoints: readonly AuditCheckpoint[] = []) {
  const hashes = new Set(entries.map((e) => e.hash));
  const verifier = new AuditChainVerifier({
    verifySignature: (c) =>
      verify(null, checkpointSigningInput(c), keys.publicKey, Buffer.from(c.signature, "base64")),
    hasEntryWithHash: (hash) => hashes.has(hash),
    start: null,
    checkpointSeqs: checkpoints.map((c) => c.seq),
  });
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) await verifier.push(entry);
  return verifier.finish(checkpoints);
}

describe("canonicalJson()", () => {
  it("orders object keys and leaves arrays in order, so equal values give equal bytes", async () => {
    expect(canonicalJson({ b: 1, a: [3, 1, { d: null, c: "x" }] })).toBe(
      '{"a":[3,1,{"c":"x","d":null}],"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it("refuses numbers JSON cannot carry exactly", async () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(TypeError);
  });
});

describe("chainAuditEntry()", () => {
  it("links each entry to the one before, starting from the genesis hash", async () => {
    const [first, second] = chainOf(2);
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first?.hash });
    expect(first?.hash).toMatch(/^[0-9a-f]{64}$/);
    const { hash, seq: _seq, ...rest } = first as AuditEntry;
    expect(hashAuditEntry(rest)).toBe(hash);
  });

  it("gives a known hash for a known entry, so the format never changes silently", async () => {
    const [first] = chainOf(1);
    expect(first?.hash).toBe(hashAuditEntry({ ...content(1), prevHash: GENESIS_HASH }));
    expect(first?.hash).toBe("ebb72706a99a56a1da7f6d8602f874458702dcd6c3fade156d0848044762e037");
  });
});

describe("AuditChainVerifier", () => {
  const log = chainOf(10);

  it("finds an untouched log intact, with its checkpoints", async () => {
    expect(
      await verifyLog(log, [checkpointAt(log[4] as AuditEntry), checkpointAt(log[9] as AuditEntry)]),
    ).toEqual({
      ok: true,
      entries: 10,
      checkpoints: 2,
    });
  });

  it("names an entry edited in place as modified", async () => {
    const edited = log.map((e) => (e.seq === 4 ? { ...e, outcome: "failure" as const } : e));
    expect(await verifyLog(edited)).toMatchObject({
      ok: false,
      reason: "modified",
      firstBadEntry: { seq: 4, id: "aud_0004" },
    });
  });

  it("names the entry after a deleted one, with or without the numbering closed up", async () => {
    const gap = log.filter((e) => e.seq !== 6);
    expect(await verifyLog(gap)).toMatchObject({ ok: false, reason: "deleted", firstBadEntry: { seq: 7 } });
    const renumbered = gap.map((e) => (e.seq > 6 ? { ...e, seq: e.seq - 1 } : e));
    expect(await verifyLog(renumbered)).toMatchObject({
      ok: false,
      reason: "deleted",
      firstBadEntry: { id: "aud_0007" },
    });
    const first = log.filter((e) => e.seq !== 1);
    expect(await verifyLog(first)).toMatchObject({ ok: false, reason: "deleted", firstBadEntry: { seq: 2 } });
  });

  it("names an added entry as inserted, whether it copies a link or invents one", async () => {
    const forgedContent = { ...content(99), id: "aud_forged" };
    // Copies its predecessor's link and hashes itself correctly: only the next entry shows it is foreign.
    const copying = chainAuditEntry(forgedContent, log[4] as AuditEntry);
    const withCopy = [...log.slice(0, 5), copying, ...log.slice(5).map((e) => ({ ...e, seq: e.seq + 1 }))];
    expect(await verifyLog(withCopy)).toMatchObject({
      ok: false,
      reason: "inserted",
      firstBadEntry: { id: "aud_forged" },
    });
    // Links to nothing at all.
    const invented = { ...chainAuditEntry(forgedContent, { seq: 5, hash: "f".repeat(64) }) };
    const withInvented = [
      ...log.slice(0, 5),
      invented,
      ...log.slice(5).map((e) => ({ ...e, seq: e.seq + 1 })),
    ];
    expect(await verifyLog(withInvented)).toMatchObject({
      ok: false,
      reason: "inserted",
      firstBadEntry: { id: "aud_forged" },
    });
    // At the end of the log.
    const atEnd = [...log, chainAuditEntry(forgedContent, { seq: 10, hash: "e".repeat(64) })];
    expect(await verifyLog(atEnd)).toMatchObject({
      ok: false,
      reason: "inserted",
      firstBadEntry: { id: "aud_forged" },
    });
  });

  it("names the first moved entry as reordered when two entries swap places", async () => {
    const swapped = log.map((e) => (e.seq === 3 ? { ...e, seq: 7 } : e.seq === 7 ? { ...e, seq: 3 } : e));
    expect(await verifyLog(swapped)).toMatchObject({
      ok: false,
      reason: "reordered",
      firstBadEntry: { id: "aud_0007", seq: 3 },
    });
    const adjacent = log.map((e) => (e.seq === 5 ? { ...e, seq: 6 } : e.seq === 6 ? { ...e, seq: 5 } : e));
    expect(await verifyLog(adjacent)).toMatchObject({
      ok: false,
      reason: "reordered",
      firstBadEntry: { id: "aud_0006" },
    });
  });

  it("catches a deleted tail only through a checkpoint that vouches for more", async () => {
    const checkpoint = checkpointAt(log[9] as AuditEntry);
    expect(await verifyLog(log.slice(0, 8))).toMatchObject({ ok: true });
    expect(await verifyLog(log.slice(0, 8), [checkpoint])).toMatchObject({
      ok: false,
      reason: "deleted",
      firstBadEntry: null,
    });
  });

  it("catches a rewritten chain (every hash recomputed) and a forged checkpoint signature", async () => {
    const rewritten: AuditEntry[] = [];
    for (const entry of log) {
      const changed = entry.seq === 3 ? { ...content(3), outcome: "failure" as const } : content(entry.seq);
      rewritten.push(chainAuditEntry(changed, rewritten.at(-1) ?? null));
    }
    const checkpoint = checkpointAt(log[4] as AuditEntry);
    expect(await verifyLog(rewritten, [checkpoint])).toMatchObject({
      ok: false,
      reason: "checkpoint_mismatch",
    });
    const forged = { ...checkpoint, hash: rewritten[4]?.hash as string };
    expect(await verifyLog(rewritten, [forged])).toMatchObject({ ok: false, reason: "checkpoint_mismatch" });
  });

  it("starts after a pruned prefix from the checkpoint that summarises it", async () => {
    const prefix = checkpointAt(log[3] as AuditEntry);
    const hashes = new Set(log.slice(4).map((e) => e.hash));
    const verifier = new AuditChainVerifier({
      verifySignature: () => true,
      hasEntryWithHash: (hash) => hashes.has(hash),
      start: { seq: prefix.seq, hash: prefix.hash },
    });
    for (const entry of log.slice(4)) await verifier.push(entry);
    expect(verifier.finish([prefix])).toEqual({ ok: true, entries: 6, checkpoints: 1 });
  });
});
