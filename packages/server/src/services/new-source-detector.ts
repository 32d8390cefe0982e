import type { KeyRecord } from "@keyward/core/key-record.js";
import {
  DEFAULT_SOURCE_HISTORY,
  isNewSourceSuspicious,
  type SourceHistoryThresholds,
} from "@keyward/core/source-history.js";
import { sourceNetwork } from "@keyward/core/source-network.js";
import type { SourceNetworkSighting, SourceNetworkStore } from "../store/source-network-store.js";
import type { Sighting } from "./anomaly-alerts.js";

/** Keys whose known networks a node remembers by default (about 200 bytes each with a few addresses). */
const DEFAULT_MAX_KEYS = 100_000;
/** Addresses and networks remembered per key: a key used from more is re-checked in the store, never wrong. */
const MAX_ADDRESSES_PER_KEY = 64;
const MAX_NETWORKS_PER_KEY = 64;
/** Pairs per store call (one transaction each): short enough not to stall SQLite's single writer. */
const WRITE_CHUNK = 500;
/** A key's place in the LRU order is refreshed at most this often, so a hit is a lookup and nothing more. */
const TOUCH_INTERVAL_MS = 60_000;

/** Options for {@link NewSourceDetector}. */
export interface NewSourceDetectorOptions {
  store: SourceNetworkStore;
  /** Where suspicious new networks go (AnomalyAlerts). */
  report(sighting: Sighting): void;
  /** When a key has a history; defaults: seen for 1 h, from 1 other network. */
  thresholds?: Partial<SourceHistoryThresholds>;
  /** Keys remembered in memory at once (LRU); the least recently used are forgotten beyond it. */
  maxKeys?: number;
  /** Flush early when this many pairs are pending. */
  maxPending?: number;
  /** A write failed; its pairs are kept for the next flush. */
  onError?(error: unknown): void;
}

interface KnownSources {
  /** Raw addresses seen recently: a hit costs no parsing. */
  addresses: Set<string>;
  /** Networks known to the store (or on their way there). */
  networks: Set<string>;
  touchedAtMs: number;
}

/** A pair on its way to the store, with what the alert would need. */
interface PendingPair extends SourceNetworkSighting {
  key: Pick<KeyRecord, "id" | "projectId">;
  ip: string;
  code: string;
}

/**
 * Raises `new_source` when a key with a history is used from a network (/24 IPv4, /48 IPv6) never seen for it.
 * The verification only looks the (key, address) pair up in a bounded in-process memory; pairs it does not know
 * are written to the shared {@link SourceNetworkStore} in batches off the hot path, and only a pair new to the
 * store (on any node) is judged. Forgetting a pair (LRU) costs one more write for it, never a false alert.
 */
export class NewSourceDetector {
  readonly #options: NewSourceDetectorOptions;
  readonly #thresholds: SourceHistoryThresholds;
  readonly #maxKeys: number;
  readonly #maxPending: number;
  readonly #keys = new Map<string, KnownSources>();
  #pending = new Map<string, PendingPair>();
  #flushing: Promise<void> | null = null;
  #flushScheduled = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: NewSourceDetectorOptions) {
    this.#options = options;
    this.#thresholds = { ...DEFAULT_SOURCE_HISTORY, ...options.thresholds };
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.#maxPending = options.maxPending ?? 5_000;
  }

  /** Notes that `key` was used from `ip` (the outcome `code`) at `nowMs`. Synchronous, O(1), no I/O. */
  record(key: Pick<KeyRecord, "id" | "projectId">, ip: string, code: string, nowMs: number): void {
    let known = this.#keys.get(key.id);
    if (known?.addresses.has(ip)) {
      if (nowMs - known.touchedAtMs >= TOUCH_INTERVAL_MS) this.#touch(key.id, known, nowMs);
      return;
    }
    const network = sourceNetwork(ip);
    if (network === null) return;
    if (known === undefined) {
      if (this.#keys.size >= this.#maxKeys) this.#forgetOldest();
      known = { addresses: new Set(), networks: new Set(), touchedAtMs: nowMs };
      this.#keys.set(key.id, known);
    }
    if (known.addresses.size >= MAX_ADDRESSES_PER_KEY) known.addresses.clear();
    known.addresses.add(ip);
    if (known.networks.has(network)) return;
    if (known.networks.size >= MAX_NETWORKS_PER_KEY) known.networks.clear();
    known.networks.add(network);
    this.#pending.set(`${key.id} ${network}`, { key, keyId: key.id, network, seenAtMs: nowMs, ip, code });
    if (this.#pending.size >= this.#maxPending) this.#scheduleFlush();
  }

  /** Pairs waiting to be written. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#keys.size;
  }

  /** Writes the pending pairs and reports the suspicious new ones; resolves when done (or, on failure, kept). */
  async flush(): Promise<void> {
    // Loop, not once: another waiter may have started the next write first, and this flush must wait for it too.
    while (this.#flushing !== null) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
  }

  /** Flushes every `intervalMs` until {@link stop}; the timer does not keep the process alive. */
  start(intervalMs: number): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  async #write(batch: readonly PendingPair[]): Promise<void> {
    for (let start = 0; start < batch.length; start += WRITE_CHUNK) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = batch.slice(start, start + WRITE_CHUNK);
      let added: Awaited<ReturnType<SourceNetworkStore["recordSourceNetworks"]>>;
      try {
        added = await this.#options.store.recordSourceNetworks(chunk);
      } catch (error) {
        this.#keep(batch.slice(start));
        this.#options.onError?.(error);
        return;
      }
      const byPair = new Map(chunk.map((p) => [`${p.keyId} ${p.network}`, p]));
      for (const pair of added) {
        const seen = byPair.get(`${pair.keyId} ${pair.network}`);
        if (
          seen === undefined ||
          !isNewSourceSuspicious({ ...pair, seenAtMs: pair.firstSeenAt }, this.#thresholds)
        )
          continue;
        this.#options.report({
          type: "new_source",
          key: seen.key,
          code: seen.code,
          ip: seen.ip,
          details: {
            network: pair.network,
            knownNetworks: pair.knownNetworks,
            keyFirstSeenAt: new Date(pair.keyFirstSeenAt ?? pair.firstSeenAt).toISOString(),
          },
          atMs: pair.firstSeenAt,
        });
      }
    }
  }

  /** Puts the pairs of a failed write back, unless the store has been down so long that memory must win. */
  #keep(pairs: readonly PendingPair[]): void {
    for (const pair of pairs) {
      if (this.#pending.size >= 10 * this.#maxPending) return;
      const id = `${pair.keyId} ${pair.network}`;
      const pending = this.#pending.get(id);
      if (pending === undefined || pair.seenAtMs < pending.seenAtMs) this.#pending.set(id, pair);
    }
  }

  /** Most recently used last, so the oldest are the first forgotten. */
  #touch(keyId: string, known: KnownSources, nowMs: number): void {
    known.touchedAtMs = nowMs;
    this.#keys.delete(keyId);
    this.#keys.set(keyId, known);
  }

  #forgetOldest(): void {
    const drop = Math.max(1, Math.floor(this.#maxKeys / 10));
    let dropped = 0;
    for (const keyId of this.#keys.keys()) {
      this.#keys.delete(keyId);
      if (++dropped >= drop) break;
    }
  }

  /**
   * Flushes on the next turn of the event loop, never inside the caller: `record()` runs on the verify hot path,
   * and a store with a synchronous driver would otherwise write the whole batch inside one verification.
   */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.flush();
    });
  }
}
