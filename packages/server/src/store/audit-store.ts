import type { AuditCheckpoint, AuditEntry, AuditEntryContent } from "@keyward/core/audit-chain.js";

/** How a checkpoint came to be: every N entries, asked for, or summarising the entries pruned before it. */
export type AuditCheckpointKind = "periodic" | "on_demand" | "pruning";

/** A signed checkpoint as the store keeps it. */
export interface StoredAuditCheckpoint extends AuditCheckpoint {
  kind: AuditCheckpointKind;
}

/** The end of the chain: the last entry's seq and hash (0 and the genesis hash before the first). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** Filters shared by listing, counting and exporting. Times are epoch ms, `toMs` exclusive. */
export interface AuditFilters {
  actorId?: string;
  action?: string;
  targetId?: string;
  /** Only entries of these projects (instance-wide entries excluded); null or absent for every entry. */
  projectIds?: readonly string[] | null;
  fromMs?: number;
  toMs?: number;
}

/** A page of entries: newest first below `beforeSeq`, or oldest first above `afterSeq`. */
export interface AuditQuery extends AuditFilters {
  order: "newest" | "oldest";
  /** With `newest`: only entries with a smaller seq (the cursor of the previous page). */
  beforeSeq?: number;
  /** With `oldest`: only entries with a larger seq. */
  afterSeq?: number;
  limit: number;
}

/**
 * Where the audit log lives. Entries of a change are appended by the other stores, in the change's transaction,
 * through the change's effects; this interface appends entries that change nothing else (refused actions,
 * alerts), reads the chain and keeps its checkpoints. Every implementation passes `audit-store.conformance.ts`.
 */
export interface AuditStore {
  /** Chains and appends the entries in one transaction of their own; returns them as stored. */
  appendAuditEntries(entries: readonly AuditEntryContent[]): Promise<AuditEntry[]>;
  auditHead(): Promise<AuditHead>;
  listAuditEntries(query: AuditQuery): Promise<AuditEntry[]>;
  countAuditEntries(filters: AuditFilters): Promise<number>;
  findAuditEntryAt(seq: number): Promise<AuditEntry | null>;
  /** Whether any stored entry carries this hash (an index lookup), for the verifier. */
  hasAuditEntryWithHash(hash: string): Promise<boolean>;
  /** Stores a checkpoint unless one exists at its seq (several nodes may sign the same one); true when stored. */
  saveAuditCheckpoint(checkpoint: StoredAuditCheckpoint): Promise<boolean>;
  /** Every checkpoint, in seq order. */
  listAuditCheckpoints(): Promise<StoredAuditCheckpoint[]>;
  /**
   * Deletes the entries up to and including `checkpoint.seq` and stores the checkpoint (kind `pruning`) that
   * summarises them, in one transaction, so the chain left verifies from it. Returns the entries deleted.
   */
  pruneAuditEntries(checkpoint: StoredAuditCheckpoint): Promise<number>;
  /**
   * Seals every entry appended from now on, by every store sharing this one's connection: `mac(hash)` is stored
   * beside the entry (not hashed). Called once at start, with the key opened through the KMS.
   */
  useEntryMac(mac: (hash: string) => string): void;
  /** The sealed checkpoint signing key, or null before the first checkpoint. */
  readAuditSigningKey(): Promise<string | null>;
  /**
   * Stores the sealed signing key unless one is stored already, and returns the one stored: when several nodes
   * make a key at once, all of them use the first.
   */
  claimAuditSigningKey(sealed: string, nowMs: number): Promise<string>;
}

/** Name of the instance setting that holds the sealed Ed25519 checkpoint signing key. */
export const AUDIT_SIGNING_KEY_SETTING = "audit_signing_key";
