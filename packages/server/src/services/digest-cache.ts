import { LRUCache } from "lru-cache";
import type { Clock } from "./clock.js";

/** Options for {@link DigestCache}. */
export interface DigestCacheOptions {
  maxEntries: number;
  ttlMs: number;
  clock: Clock;
}

/**
 * A bounded LRU with TTL from a secret's digest to its record, with an id index so a write through this process
 * (revoke, update) can drop the entry at once. Keyed by the digest, never by the secret.
 */
export class DigestCache<T extends { id: string }> {
  readonly #byDigest: LRUCache<string, T> | null;
  readonly #digestById = new Map<string, string>();
  #generation = 0;

  constructor(options: DigestCacheOptions) {
    this.#byDigest =
      options.maxEntries === 0
        ? null
        : new LRUCache<string, T>({
            max: options.maxEntries,
            ttl: options.ttlMs === 0 ? undefined : options.ttlMs,
            perf: { now: () => options.clock.now() },
            // lru-cache otherwise reuses one clock reading until a real 1 ms timer fires, ignoring the injected clock.
            ttlResolution: 0,
            // Keep the id index in step with evictions and expiries.
            dispose: (value, digestKey) => {
              if (this.#digestById.get(value.id) === digestKey) this.#digestById.delete(value.id);
            },
          });
  }

  get(digest: Buffer): T | undefined {
    return this.#byDigest?.get(digest.toString("latin1"));
  }

  /**
   * Counts drops. A lookup notes it before reading the store and passes it to {@link set}: when a drop came in
   * meanwhile, what it read may predate the change that caused the drop, so it is not cached.
   */
  get generation(): number {
    return this.#generation;
  }

  set(digest: Buffer, record: T, readAtGeneration = this.#generation): void {
    if (this.#byDigest === null || readAtGeneration !== this.#generation) return;
    const digestKey = digest.toString("latin1");
    this.#byDigest.set(digestKey, record);
    this.#digestById.set(record.id, digestKey);
  }

  /** Drops the record with this id, so the next lookup reads the store. */
  deleteById(id: string): void {
    this.#generation += 1;
    const digestKey = this.#digestById.get(id);
    if (digestKey !== undefined) this.#byDigest?.delete(digestKey);
  }

  /** Drops every record: changes may have been missed. */
  clear(): void {
    this.#generation += 1;
    this.#byDigest?.clear();
    this.#digestById.clear();
  }

  get size(): number {
    return this.#byDigest?.size ?? 0;
  }
}
