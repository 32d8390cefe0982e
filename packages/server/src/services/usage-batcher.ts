import type { UsageEntry } from "../store/records.js";

/** Options for {@link UsageBatcher}. */
export interface UsageBatcherOptions {
  /** Writes one batch; called at most once at a time. */
  write(entries: UsageEntry[]): Promise<void>;
  /** Flush early when this many distinct ids are pending, bounding memory. */
  maxPending?: number;
  /** Called when a write fails; the batch is merged back and retried on the next flush. */
  onError?(error: unknown): void;
}

/**
 * Gathers `lastUsedAt` and use counts in memory and writes them in batches, so verification never costs a write.
 * A failed write keeps its entries for the next flush instead of losing them.
 */
export class UsageBatcher {
  #pending = new Map<string, UsageEntry>();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #flushScheduled = false;
  readonly #options: UsageBatcherOptions;

  constructor(options: UsageBatcherOptions) {
    this.#options = options;
  }

  /** Notes one use of `id` at `atMs`. */
  record(id: string, atMs: number): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) {
      this.#pending.set(id, { id, lastUsedAt: atMs, count: 1 });
      if (this.#pending.size >= (this.#options.maxPending ?? 10_000)) this.#scheduleFlush();
    } else {
      entry.count += 1;
      if (atMs > entry.lastUsedAt) entry.lastUsedAt = atMs;
    }
  }

  /** Number of distinct ids waiting to be written. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Writes everything pending now; resolves when written (or, on failure, put back). */
  async flush(): Promise<void> {
    // Loop, not once: another waiter may have started the next write first, and this flush must wait for it too.
    while (this.#flushing !== null) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    this.#flushing = this.#options
      .write(batch)
      .catch((error: unknown) => {
        for (const entry of batch) this.#merge(entry);
        this.#options.onError?.(error);
      })
      .finally(() => {
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

  #merge(entry: UsageEntry): void {
    const current = this.#pending.get(entry.id);
    if (current === undefined) {
      this.#pending.set(entry.id, entry);
      return;
    }
    current.count += entry.count;
    current.lastUsedAt = Math.max(current.lastUsedAt, entry.lastUsedAt);
  }
}
