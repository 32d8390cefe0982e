import { setImmediate } from "node:timers/promises";
import {
  type AuditChainReport,
  AuditChainVerifier,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditEntryContent,
  hashAuditEntry,
} from "@keyward/core/audit-chain.js";
import { checkpointOf } from "../store/audit-rows.js";
import type { AuditCheckpointKind, AuditStore, StoredAuditCheckpoint } from "../store/audit-store.js";
import type { AuditPublicKey, AuditSigner } from "./audit-signer.js";
import { checkpointVerifier } from "./audit-signer.js";

/** Entries read per store call while verifying. */
const VERIFY_PAGE = 1_000;

/** Options for {@link AuditLog}. */
export interface AuditLogOptions {
  store: AuditStore;
  /** Signs checkpoints and checks entry seals (opened at start, see {@link AuditSigner.open}). */
  signer: AuditSigner;
  /** A periodic checkpoint is signed at every multiple of this seq (default 1,000). */
  checkpointEvery: number;
  /** Entries older than this are pruned (behind a pruning checkpoint); null keeps them forever. */
  retentionMs: number | null;
}

/** What {@link AuditLog.maintain} did. */
export interface AuditMaintenanceReport {
  checkpoints: number;
  prunedEntries: number;
}

/** A verification's verdict, with the checkpoints and keys it used. */
export type AuditVerification = AuditChainReport & { head: { seq: number; hash: string } };

/**
 * The tamper-evident audit log over an {@link AuditStore}: appends outside a change's transaction, signed
 * checkpoints (every N entries, on demand, and where pruning cut the chain), pruning by age, and verification of
 * the whole chain in constant memory.
 */
export class AuditLog {
  readonly #options: AuditLogOptions;

  constructor(options: AuditLogOptions) {
    this.#options = options;
  }

  get store(): AuditStore {
    return this.#options.store;
  }

  /** Appends entries that describe no store change (refused requests, changes held outside the store). */
  async record(entries: readonly AuditEntryContent[]): Promise<AuditEntry[]> {
    return this.#options.store.appendAuditEntries(entries);
  }

  /** The public keys that verify this log's checkpoints. */
  async publicKeys(): Promise<AuditPublicKey[]> {
    return [this.#options.signer.publicKey];
  }

  /** Whether an entry is intact and was written by Keyward: what a checkpoint may vouch for. */
  #isGenuine(entry: AuditEntry): boolean {
    return hashAuditEntry(entry) === entry.hash && this.#options.signer.isSealed(entry);
  }

  /** Signs a checkpoint of the chain as it ends now; null while the log is empty. */
  async checkpoint(nowMs: number): Promise<StoredAuditCheckpoint | null> {
    const head = await this.#options.store.auditHead();
    if (head.seq === 0) return null;
    return this.#signAt(head.seq, nowMs, "on_demand");
  }

  /**
   * Signs the periodic checkpoints due (one per multiple of `checkpointEvery` up to the head that has none yet),
   * then prunes entries past retention. Safe on several nodes at once: checkpoints are keyed by seq, and pruning
   * deletes what is already gone as a no-op.
   */
  async maintain(nowMs: number): Promise<AuditMaintenanceReport> {
    const report: AuditMaintenanceReport = { checkpoints: 0, prunedEntries: 0 };
    const { store, checkpointEvery, retentionMs } = this.#options;
    const head = await store.auditHead();
    const existing = await store.listAuditCheckpoints();
    const lastSigned = existing.reduce((max, c) => Math.max(max, c.seq), 0);
    const every = Math.max(1, checkpointEvery);
    for (let seq = (Math.floor(lastSigned / every) + 1) * every; seq <= head.seq; seq += every) {
      if ((await this.#signAt(seq, nowMs, "periodic")) !== null) report.checkpoints += 1;
    }
    if (retentionMs !== null) {
      const [last] = await store.listAuditEntries({ order: "newest", toMs: nowMs - retentionMs, limit: 1 });
      if (last !== undefined && this.#isGenuine(last)) {
        const signer = this.#options.signer;
        const checkpoint = {
          ...signer.sign({ seq: last.seq, hash: last.hash, at: nowMs }),
          kind: "pruning" as const,
        };
        report.prunedEntries = await store.pruneAuditEntries(checkpoint);
      }
    }
    return report;
  }

  /** Signs "the chain up to `seq` ends in this hash" when the entry at `seq` is intact; null otherwise. */
  async #signAt(
    seq: number,
    nowMs: number,
    kind: AuditCheckpointKind,
  ): Promise<StoredAuditCheckpoint | null> {
    const entry = await this.#options.store.findAuditEntryAt(seq);
    // Vouching for an entry that does not match its hash, or that Keyward did not seal, would launder a tampered
    // log.
    if (entry === null || !this.#isGenuine(entry)) return null;
    const signer = this.#options.signer;
    const checkpoint: StoredAuditCheckpoint = { ...signer.sign({ seq, hash: entry.hash, at: nowMs }), kind };
    const saved = await this.#options.store.saveAuditCheckpoint(checkpoint);
    return saved ? checkpoint : null;
  }

  /**
   * Checks every stored entry and every checkpoint (the stored ones and `extra`, e.g. an exported copy kept
   * elsewhere, verified with `extraKeys`). Names the first entry modified, deleted, inserted or reordered.
   */
  async verify(
    options: {
      extra?: readonly AuditCheckpoint[];
      extraKeys?: readonly AuditPublicKey[];
      onProgress?(entries: number): void;
    } = {},
  ): Promise<AuditVerification> {
    const { store } = this.#options;
    const stored = await store.listAuditCheckpoints();
    const head = await store.auditHead();
    const checkpoints: AuditCheckpoint[] = [...stored.map(checkpointOf), ...(options.extra ?? [])];
    const keys = [...(await this.publicKeys()), ...(options.extraKeys ?? [])];
    const start = stored
      .filter((c) => c.kind === "pruning")
      .reduce<StoredAuditCheckpoint | null>(
        (latest, c) => (latest === null || c.seq > latest.seq ? c : latest),
        null,
      );
    const verifier = new AuditChainVerifier({
      verifySignature: checkpointVerifier(keys),
      hasEntryWithHash: (hash) => store.hasAuditEntryWithHash(hash),
      start: start === null ? null : { seq: start.seq, hash: start.hash },
      checkpointSeqs: checkpoints.map((c) => c.seq),
      verifyEntryMac: (entry) => this.#options.signer.isSealed(entry),
    });
    let lastSeq = start?.seq ?? 0;
    let read = 0;
    for (let after = 0; ; ) {
      const page = await store.listAuditEntries({ order: "oldest", afterSeq: after, limit: VERIFY_PAGE });
      for (const entry of page) {
        await verifier.push(entry);
        lastSeq = entry.seq;
      }
      read += page.length;
      options.onProgress?.(read);
      const last = page.at(-1);
      if (last === undefined || page.length < VERIFY_PAGE || !verifier.intact) break;
      after = last.seq;
      // SQLite reads and hashing never wait on I/O: without a macrotask between pages, verifying a large log
      // would hold the event loop (and every request of this node) for its whole duration.
      await setImmediate();
    }
    const report = verifier.finish(checkpoints);
    if (report.ok && lastSeq < head.seq) {
      // Entries after the last stored one are gone, though the head still counts them.
      return {
        ok: false,
        entries: report.entries,
        reason: "deleted",
        firstBadEntry: null,
        detail: `The log ends at entry ${lastSeq}, but ${head.seq} entries were written: its last entries were deleted.`,
        head,
      };
    }
    return { ...report, head };
  }
}
