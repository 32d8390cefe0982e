import { createHash } from "node:crypto";
import { digestKey, digestsEqual } from "@keyward/core/digest-key.js";
import type { PepperRing } from "../kms/pepper-ring.js";
import { IMPORTED_PEPPER_VERSION } from "../store/key-import-records.js";
import type { Redigest } from "../store/pepper-store.js";
import type { WithDigest } from "../store/records.js";
import type { DigestCache } from "./digest-cache.js";
import { WriteBehindBatcher } from "./write-behind-batcher.js";

/** Options for {@link PepperedLookup}. */
export interface PepperedLookupOptions<T extends { id: string }> {
  peppers: PepperRing;
  /** Records by the digest under the current pepper. */
  cache: DigestCache<T>;
  /** The record with this digest (an indexed lookup). */
  findOne(digest: Buffer): Promise<WithDigest<T> | null>;
  /** The record with any of these digests, read in one statement (one snapshot). */
  findAny(digests: readonly Buffer[]): Promise<WithDigest<T> | null>;
  /** Swaps digests made with an older pepper for digests under the current one (compare-and-swap). */
  redigest(swaps: Redigest[]): Promise<number>;
  onCacheLookup?(outcome: "hit" | "miss"): void;
  /** Digests swapped to the current pepper, once written. */
  onRedigested?(count: number): void;
  onRedigestError?(error: unknown): void;
}

/**
 * Finds records (keys, tokens) by the digest of their plaintext under every live pepper version, and re-digests
 * those found under an older version with the current one: the plaintext is at hand only here. The swaps are
 * written in batches, off the verify path; one lost is made again at the record's next verification.
 */
export class PepperedLookup<T extends { id: string }> {
  /** Pending digest swaps; started and stopped with the service's other batchers. */
  readonly redigests: WriteBehindBatcher<Redigest>;
  readonly #options: PepperedLookupOptions<T>;

  constructor(options: PepperedLookupOptions<T>) {
    this.#options = options;
    this.redigests = new WriteBehindBatcher<Redigest>({
      write: async (swaps) => {
        const swapped = await options.redigest(swaps);
        options.onRedigested?.(swapped);
      },
      // A newer swap of the same record supersedes a failed one.
      mergeBack: (failed, pending) => pending ?? failed,
      ...(options.onRedigestError === undefined ? {} : { onError: options.onRedigestError }),
    });
  }

  /** The stored digest of a new record's plaintext: under the current pepper, with its version. */
  digestNew(plaintext: string): { digest: Buffer; pepperVersion: number } {
    const { current } = this.#options.peppers.schedule();
    return { digest: digestKey(plaintext, current.pepper), pepperVersion: current.version };
  }

  /** The record whose plaintext this is, or null when none is. */
  async find(plaintext: string): Promise<T | null> {
    const { cache } = this.#options;
    const { current, lookupOrder } = this.#options.peppers.schedule();
    const digest = digestKey(plaintext, current.pepper);
    const cached = cache.get(digest);
    this.#options.onCacheLookup?.(cached === undefined ? "miss" : "hit");
    if (cached !== undefined) return cached;
    const generation = cache.generation;
    if (lookupOrder.length === 1) {
      const stored = await this.#options.findOne(digest);
      // The index found it by equality; compare again in constant time so no timing depends on the stored bytes.
      if (stored === null || !digestsEqual(stored.digest, digest)) return null;
      cache.set(digest, stored.record, generation);
      return stored.record;
    }
    // Every version's digest in one read: a record re-digested by another node between two reads would
    // otherwise be missed by both.
    const digests = lookupOrder.map((p) => (p === current ? digest : digestKey(plaintext, p.pepper)));
    const stored = await this.#options.findAny(digests);
    if (stored === null) return null;
    const index = digests.findIndex((d) => digestsEqual(stored.digest, d));
    const matched = lookupOrder[index];
    if (matched === undefined) return null;
    return this.#found(stored, matched.version, { digest, version: current.version }, generation);
  }

  /**
   * The record whose plaintext this is, also among records imported by the SHA-256 of their plaintext
   * ({@link IMPORTED_PEPPER_VERSION}), which is then re-digested under the current pepper like an old version's.
   * For a plaintext {@link find} did not find: every live version's digest and the SHA-256 are read in one
   * statement, so a record another node re-digests meanwhile is found under one or the other.
   */
  async findImported(plaintext: string): Promise<T | null> {
    const { cache } = this.#options;
    const { current, lookupOrder } = this.#options.peppers.schedule();
    const generation = cache.generation;
    const digests = lookupOrder.map((p) => digestKey(plaintext, p.pepper));
    const sha256 = createHash("sha256").update(plaintext, "utf8").digest();
    const stored = await this.#options.findAny([...digests, sha256]);
    if (stored === null) return null;
    const index = digests.findIndex((d) => digestsEqual(stored.digest, d));
    const matched = lookupOrder[index];
    const digest = digestKey(plaintext, current.pepper);
    const next = { digest, version: current.version };
    if (matched !== undefined) return this.#found(stored, matched.version, next, generation);
    // Only a row stored as imported may match by its bare SHA-256.
    if (stored.pepperVersion !== IMPORTED_PEPPER_VERSION || !digestsEqual(stored.digest, sha256)) return null;
    return this.#found(stored, IMPORTED_PEPPER_VERSION, next, generation);
  }

  /**
   * A record found under `version`: cached under its digest with the current pepper (`current`, from the same
   * schedule the digest was made with), and queued for re-digesting to it when found under an older version.
   */
  #found(
    stored: WithDigest<T>,
    version: number,
    current: { digest: Buffer; version: number },
    generation: number,
  ): T {
    const { digest } = current;
    // Only ever forward: a version newer than this node's current one is left for the nodes already on it.
    if (version < current.version) {
      const id = stored.record.id;
      this.redigests.upsert(id, () => ({
        id,
        expected: stored.digest,
        digest,
        pepperVersion: current.version,
      }));
    }
    this.#options.cache.set(digest, stored.record, generation);
    return stored.record;
  }
}
