import { createHash } from "node:crypto";

/** A JSON value as the audit log stores it: no `undefined`, no non-finite numbers, no class instances. */
export type CanonicalValue =
  | string
  | number
  | boolean
  | null
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

/** Who did it: an admin token or (later) a user, by id and name at the time. */
export interface AuditActor {
  type: "token" | "user" | "system";
  id: string;
  name: string | null;
}

/** What an entry says, before it joins the chain. */
export interface AuditEntryContent {
  id: string;
  /** Epoch milliseconds. */
  at: number;
  actor: AuditActor;
  /** A dotted verb such as `key.revoked`, `token.created`, `login.failed`. */
  action: string;
  target: { type: string; id: string } | null;
  /** The project the target belongs to (null for instance-wide actions), so project-limited readers see theirs. */
  projectId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  outcome: "success" | "failure";
  /** What changed, already redacted: never a key, a token, a secret or a digest. */
  diff: { readonly [field: string]: CanonicalValue };
}

/** An entry in the chain: its position, the hash of the one before, and its own. */
export interface AuditEntry extends AuditEntryContent {
  /**
   * 1 for the first entry ever written, then one more per entry; pruning does not renumber. Only the storage
   * order: it is not hashed, the links are, so entries moved by renumbering are caught as reordered.
   */
  seq: number;
  /** Hex SHA-256 of the previous entry ({@link GENESIS_HASH} for seq 1). */
  prevHash: string;
  /** Hex SHA-256 of this entry's canonical form, `prevHash` included. */
  hash: string;
  /**
   * HMAC of `hash` under a key only the writer holds (not hashed itself): proves the writer made the entry, so
   * an entry forged with a correct hash by someone who can only write to the database is still caught.
   */
  mac?: string | null;
}

/** What a checkpoint vouches for: the chain up to `seq` ends in `hash`. */
export interface AuditCheckpointContent {
  seq: number;
  hash: string;
  at: number;
  /** Which signing key made `signature`, so old checkpoints verify after the key rotates. */
  keyId: string;
}

/** A checkpoint with its Ed25519 signature (base64) over {@link canonicalJson} of the content. */
export interface AuditCheckpoint extends AuditCheckpointContent {
  signature: string;
}

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * JSON with object keys in code-point order and no whitespace: the same value always gives the same bytes,
 * whatever order its fields were set in. Throws a TypeError for a value JSON cannot represent exactly.
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("Audit values must be finite numbers.");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  if (typeof value !== "object") throw new TypeError(`Audit values cannot be of type ${typeof value}.`);
  const record = value as { readonly [key: string]: CanonicalValue };
  const fields = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key] as CanonicalValue)}`);
  return `{${fields.join(",")}}`;
}

/** The hash an entry must carry: SHA-256 over the canonical form of its content and `prevHash`. */
export function hashAuditEntry(entry: Omit<AuditEntry, "hash" | "seq">): string {
  const {
    prevHash,
    id,
    at,
    actor,
    action,
    target,
    projectId,
    sourceIp,
    userAgent,
    requestId,
    outcome,
    diff,
  } = entry;
  const hashed: CanonicalValue = {
    prevHash,
    id,
    at,
    actor: { type: actor.type, id: actor.id, name: actor.name },
    action,
    target: target === null ? null : { type: target.type, id: target.id },
    projectId,
    sourceIp,
    userAgent,
    requestId,
    outcome,
    diff,
  };
  return createHash("sha256").update(canonicalJson(hashed), "utf8").digest("hex");
}

/** Appends `content` after `previous` (null for the first entry ever): the entry to store. */
export function chainAuditEntry(
  content: AuditEntryContent,
  previous: Pick<AuditEntry, "seq" | "hash"> | null,
): AuditEntry {
  const linked = {
    ...content,
    seq: previous === null ? 1 : previous.seq + 1,
    prevHash: previous === null ? GENESIS_HASH : previous.hash,
  };
  return { ...linked, hash: hashAuditEntry(linked) };
}

/** The bytes a checkpoint's signature covers. */
export function checkpointSigningInput(checkpoint: AuditCheckpointContent): Buffer {
  const { seq, hash, at, keyId } = checkpoint;
  return Buffer.from(canonicalJson({ seq, hash, at, keyId }), "utf8");
}

/** How the chain was broken at the first bad entry. */
export type AuditChainBreak =
  /** Its content no longer matches its hash: a field was edited in place. */
  | "modified"
  /** Entries before it are missing: its predecessor's seq is not the one before its own. */
  | "deleted"
  /** It links to no entry of the log: it was added, not written by the chain. */
  | "inserted"
  /** It links to an entry of the log, but not to the one stored before it: entries were moved. */
  | "reordered"
  /** A checkpoint's signature does not verify, or it vouches for another hash at its seq. */
  | "checkpoint_mismatch";

/** What {@link AuditChainVerifier} concluded. */
export type AuditChainReport =
  | { ok: true; entries: number; checkpoints: number }
  | {
      ok: false;
      entries: number;
      reason: AuditChainBreak;
      /** The first entry found bad, as stored (null when what is missing is the end of the log). */
      firstBadEntry: Pick<AuditEntry, "id" | "seq" | "action" | "at"> | null;
      detail: string;
    };

/** What the verifier needs from outside: the checkpoint signatures and whether a hash belongs to any entry. */
export interface AuditChainVerifierOptions {
  /** True when the checkpoint's signature verifies under its `keyId`'s public key. */
  verifySignature(checkpoint: AuditCheckpoint): boolean;
  /**
   * Whether any stored entry carries this hash (an index lookup in the store), to tell a moved entry from a forged
   * one. Asked only where the chain is already broken.
   */
  hasEntryWithHash(hash: string): boolean | Promise<boolean>;
  /**
   * Where the stored chain starts: the checkpoint that summarises the pruned prefix (its seq and hash), or null
   * when nothing was pruned and the chain starts at seq 1.
   */
  start: Pick<AuditCheckpoint, "seq" | "hash"> | null;
  /** The seqs that checkpoints vouch for, so the verifier keeps those entries' hashes. */
  checkpointSeqs?: Iterable<number>;
  /** True when the entry's `mac` proves the writer made it; absent, entries are not checked for one. */
  verifyEntryMac?(entry: AuditEntry): boolean;
}

type Link = Pick<AuditEntry, "seq" | "hash">;

/**
 * Checks an audit log entry by entry in `seq` order (await {@link push} for each, then {@link finish} with the
 * checkpoints), in constant memory: every entry's hash, every link to its predecessor, and that every checkpoint
 * is signed and matches the entry at its seq. Stops at the first break and names the entry and how it broke:
 *
 * - an entry whose content does not match its hash was **modified**;
 * - an entry whose successor links past it, to its predecessor, was **inserted**;
 * - an entry after a gap in the numbering, or whose successor confirms it although its own predecessor is
 *   nowhere, follows **deleted** entries;
 * - an entry linking to an entry stored elsewhere was **reordered**.
 *
 * An entry whose predecessor is nowhere is held until the next one says which of the last two it is.
 */
export class AuditChainVerifier {
  readonly #options: AuditChainVerifierOptions;
  /** The last entry that checked out, and the one before it. */
  #last: Link;
  #beforeLast: Link | null = null;
  /** An entry whose predecessor is nowhere: deleted before it, or forged. The next entry tells. */
  #orphan: AuditEntry | null = null;
  #entries = 0;
  #failure: Extract<AuditChainReport, { ok: false }> | null = null;
  readonly #hashAtSeq = new Map<number, string>();
  readonly #checkpointSeqs: ReadonlySet<number>;

  constructor(options: AuditChainVerifierOptions) {
    this.#options = options;
    this.#last = options.start ?? { seq: 0, hash: GENESIS_HASH };
    this.#checkpointSeqs = new Set(options.checkpointSeqs ?? []);
  }

  /** False once a break was found: feeding more entries changes nothing. */
  get intact(): boolean {
    return this.#failure === null;
  }

  async push(entry: AuditEntry): Promise<void> {
    if (this.#failure !== null) return;
    this.#entries += 1;
    if (this.#orphan !== null) {
      const orphan = this.#orphan;
      this.#orphan = null;
      // The chain goes on from the orphan: it is genuine, and what came before it is gone.
      if (entry.prevHash === orphan.hash) {
        this.#fail(
          orphan,
          "deleted",
          `Entries before entry ${orphan.seq} are missing: it links to none left.`,
        );
      } else {
        this.#fail(orphan, "inserted", `Entry ${orphan.seq} is not part of the chain: it was added.`);
      }
      return;
    }
    const { hash: stored, seq: _seq, mac: _mac, ...content } = entry;
    if (hashAuditEntry(content) !== stored) {
      this.#fail(entry, "modified", `Entry ${entry.seq} does not match its hash: it was edited.`);
      return;
    }
    if (this.#options.verifyEntryMac !== undefined && !this.#options.verifyEntryMac(entry)) {
      this.#fail(
        entry,
        "inserted",
        `Entry ${entry.seq} was not written by Keyward: its seal does not verify (forged, or rewritten with a new hash).`,
      );
      return;
    }
    if (entry.prevHash === this.#last.hash) {
      this.#accept(entry);
      return;
    }
    if (this.#beforeLast !== null && entry.prevHash === this.#beforeLast.hash && this.#lastEntry !== null) {
      const added = this.#lastEntry;
      this.#fail(
        added,
        "inserted",
        `Entry ${added.seq} is not part of the chain: the next entry links past it.`,
      );
      return;
    }
    if (entry.seq > this.#last.seq + 1) {
      this.#fail(
        entry,
        "deleted",
        `Entries ${this.#last.seq + 1} to ${entry.seq - 1} are missing before entry ${entry.seq}.`,
      );
      return;
    }
    if (await this.#options.hasEntryWithHash(entry.prevHash)) {
      this.#fail(
        entry,
        "reordered",
        `Entry ${entry.seq} belongs after another entry than entry ${this.#last.seq}.`,
      );
      return;
    }
    this.#orphan = entry;
  }

  /** The verdict, after every entry was pushed: also checks the checkpoints (their signatures and hashes). */
  finish(checkpoints: readonly AuditCheckpoint[]): AuditChainReport {
    if (this.#orphan !== null) {
      // Nothing follows to tell: an entry at the end that links to nothing was most likely added.
      this.#fail(this.#orphan, "inserted", `Entry ${this.#orphan.seq} links to no entry of the log.`);
      this.#orphan = null;
    }
    if (this.#failure !== null) return this.#failure;
    for (const checkpoint of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
      if (!this.#options.verifySignature(checkpoint)) {
        return this.#failCheckpoint(
          checkpoint,
          `The signature of the checkpoint at entry ${checkpoint.seq} is not valid.`,
        );
      }
      if (this.#options.start !== null && checkpoint.seq <= this.#options.start.seq) continue;
      if (checkpoint.seq > this.#last.seq) {
        return {
          ok: false,
          entries: this.#entries,
          reason: "deleted",
          firstBadEntry: null,
          detail: `A checkpoint vouches for entry ${checkpoint.seq}, but the log ends at entry ${this.#last.seq}: its last entries were deleted.`,
        };
      }
      if (this.#hashAtSeq.get(checkpoint.seq) !== checkpoint.hash) {
        return this.#failCheckpoint(
          checkpoint,
          `The checkpoint at entry ${checkpoint.seq} vouches for another chain: entries up to it were rewritten.`,
        );
      }
    }
    return { ok: true, entries: this.#entries, checkpoints: checkpoints.length };
  }

  /** The last accepted entry itself, kept to name it if the next entry shows it was inserted. */
  #lastEntry: AuditEntry | null = null;

  #accept(entry: AuditEntry): void {
    this.#beforeLast = this.#last;
    this.#last = { seq: entry.seq, hash: entry.hash };
    this.#lastEntry = entry;
    if (this.#checkpointSeqs.has(entry.seq)) this.#hashAtSeq.set(entry.seq, entry.hash);
  }

  #fail(entry: AuditEntry, reason: AuditChainBreak, detail: string): void {
    this.#failure = {
      ok: false,
      entries: this.#entries,
      reason,
      firstBadEntry: { id: entry.id, seq: entry.seq, action: entry.action, at: entry.at },
      detail,
    };
  }

  #failCheckpoint(checkpoint: AuditCheckpoint, detail: string): AuditChainReport {
    return {
      ok: false,
      entries: this.#entries,
      reason: "checkpoint_mismatch",
      firstBadEntry: null,
      detail: `${detail} (checkpoint of ${new Date(checkpoint.at).toISOString()})`,
    };
  }
}
