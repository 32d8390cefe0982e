import type { KeyStore } from "../store/key-store.js";
import type { UsageBucketEntry } from "../store/usage-records.js";
import type { Clock } from "./clock.js";

const MINUTE_MS = 60_000;
/** How often retention runs at most, per node: deleting an hour's minute rows at a time keeps each run short. */
const PRUNE_INTERVAL_MS = 3_600_000;
const PRUNE_RETRY_MS = 60_000;
/**
 * Entries per store call (one transaction each). SQLite writes on the event loop: 250 entries (750 rows with their
 * hours and days) take about 4 ms, where one 5,000-entry transaction stalled verification for 140 ms.
 */
const WRITE_CHUNK = 250;

/** Options for {@link UsageAnalytics}. */
export interface UsageAnalyticsOptions {
  store: Pick<KeyStore, "recordUsageBuckets" | "pruneUsageBuckets">;
  clock: Clock;
  /** Minute buckets older than this are deleted. */
  minuteRetentionMs: number;
  /** Hour buckets older than this are deleted (day buckets are kept). */
  hourRetentionMs: number;
  /** Flush early when this many (key, code, minute) entries are pending, bounding memory and batch size. */
  maxPending?: number;
  /** Called when a write or a pruning fails; a failed batch is kept and retried on the next flush. */
  onError?(error: unknown): void;
}

/** Pending entries of one id (a key, or a project for key-less outcomes), by code: each the code's latest minute. */
type EntriesByCode = Map<string, UsageBucketEntry>;

/**
 * Counts verification outcomes per key, project, code and UTC minute in memory, and writes them in batches (the
 * store rolls each minute up into its hour and day). Mirrors {@link WriteBehindBatcher} with a layout made for
 * the verify hot path: two Map lookups by the ids the caller already holds and a counter increment — no string
 * is built per verification (joining ids and the minute into one map key cost ~8× as much), and an object is
 * allocated only for the first outcome of a (key, code) in a minute.
 */
export class UsageAnalytics {
  readonly #options: UsageAnalyticsOptions;
  readonly #maxPending: number;
  /** Outcomes that found a key, by key id. */
  #byKey = new Map<string, EntriesByCode>();
  /** Outcomes without a key (NOT_FOUND), by project id. */
  #byProject = new Map<string, EntriesByCode>();
  /** Entries of an earlier minute pushed out by a later one, and failed batches, waiting for the next write. */
  #older: UsageBucketEntry[] = [];
  #pendingCount = 0;
  #flushing: Promise<void> | null = null;
  #flushScheduled = false;
  #timer: NodeJS.Timeout | null = null;
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(options: UsageAnalyticsOptions) {
    this.#options = options;
    this.#maxPending = options.maxPending ?? 5_000;
  }

  /**
   * Notes one verification outcome. `keyId` is "" for outcomes that found no key (NOT_FOUND), counted for the
   * project only.
   */
  record(keyId: string, projectId: string, code: string, atMs: number): void {
    const minuteStart = atMs - (atMs % MINUTE_MS);
    const byId = keyId === "" ? this.#byProject : this.#byKey;
    const id = keyId === "" ? projectId : keyId;
    let byCode = byId.get(id);
    if (byCode === undefined) {
      byCode = new Map();
      byId.set(id, byCode);
    }
    const entry = byCode.get(code);
    if (entry !== undefined && entry.minuteStart === minuteStart) {
      entry.count += 1;
      return;
    }
    // A new minute (or a late outcome of an earlier one) starts its own entry; the one it replaces waits.
    if (entry !== undefined) this.#older.push(entry);
    byCode.set(code, { keyId, projectId, code, minuteStart, count: 1 });
    this.#pendingCount += 1;
    if (this.#pendingCount >= this.#maxPending) this.#scheduleFlush();
  }

  /** Number of (key, code, minute) entries waiting to be written. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Writes everything pending, then applies retention when it has not run for an hour on this node. */
  async flush(): Promise<void> {
    await this.#write();
    await this.#pruneIfDue();
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
    await this.#write();
  }

  /** Writes what is pending, one batch at a time; a failed batch is kept (merged) for the next write. */
  async #write(): Promise<void> {
    // Loop, not once: another waiter may have started the next write first, and this one must wait for it too.
    while (this.#flushing !== null) await this.#flushing;
    if (this.#pendingCount === 0) return;
    const batch = this.#older;
    for (const byId of [this.#byKey, this.#byProject]) {
      for (const byCode of byId.values()) for (const entry of byCode.values()) batch.push(entry);
    }
    this.#byKey = new Map();
    this.#byProject = new Map();
    this.#older = [];
    this.#pendingCount = 0;
    this.#flushing = this.#writeChunks(batch).finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
  }

  /**
   * Writes a batch in chunks, each one transaction, with a turn of the event loop between them. Each chunk is
   * written whole or not at all, so on a failure exactly the chunks not written are kept for the next write:
   * nothing is lost and nothing counted twice.
   */
  async #writeChunks(batch: readonly UsageBucketEntry[]): Promise<void> {
    for (let start = 0; start < batch.length; start += WRITE_CHUNK) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      try {
        await this.#options.store.recordUsageBuckets(batch.slice(start, start + WRITE_CHUNK));
      } catch (error) {
        // Merged per (key, project, code, minute), so a long outage grows memory with the distinct entries only.
        const merged = mergeEntries(batch.slice(start));
        for (const entry of merged) this.#older.push(entry);
        this.#pendingCount += merged.length;
        this.#options.onError?.(error);
        return;
      }
    }
  }

  /**
   * Deletes expired minute and hour buckets. Every node may do it (deleting is idempotent); a failure is reported
   * and retried a minute later, and never touches the counts, so it cannot lose or double any.
   */
  async #pruneIfDue(): Promise<void> {
    const now = this.#options.clock.now();
    if (now - this.#lastPruneMs < PRUNE_INTERVAL_MS) return;
    this.#lastPruneMs = now;
    try {
      await this.#options.store.pruneUsageBuckets({
        minutesBeforeMs: now - this.#options.minuteRetentionMs,
        hoursBeforeMs: now - this.#options.hourRetentionMs,
      });
    } catch (error) {
      // Try again in a minute rather than on every flush while the store is down.
      this.#lastPruneMs = now - PRUNE_INTERVAL_MS + PRUNE_RETRY_MS;
      this.#options.onError?.(error);
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
      void this.#write();
    });
  }
}

/** Entries of the same (key, project, code, minute) summed into one; off the hot path. */
function mergeEntries(entries: readonly UsageBucketEntry[]): UsageBucketEntry[] {
  const merged = new Map<string, UsageBucketEntry>();
  for (const e of entries) {
    const id = `${e.keyId}\0${e.projectId}\0${e.code}\0${e.minuteStart}`;
    const seen = merged.get(id);
    if (seen === undefined) merged.set(id, { ...e });
    else seen.count += e.count;
  }
  return [...merged.values()];
}
