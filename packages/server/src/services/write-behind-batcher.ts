/** Options for {@link WriteBehindBatcher}. */
export interface WriteBehindBatcherOptions<E> {
  /** Writes one batch; called at most once at a time. */
  write(entries: E[]): Promise<void>;
  /** Folds an entry of a failed batch back into the one pending for the same id (if any), for the next flush. */
  mergeBack(failed: E, pending: E | undefined): E;
  /** Flush early when this many distinct ids are pending, bounding memory. */
  maxPending?: number;
  /** Called when a write fails; the batch is merged back and retried on the next flush. */
  onError?(error: unknown): void;
}

/**
 * Gathers per-id state in memory and writes it in batches, so the hot path never costs a write. A failed write
 * keeps its entries for the next flush instead of losing them.
 */
export class WriteBehindBatcher<E> {
  #pending = new Map<string, E>();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #flushScheduled = false;
  readonly #options: WriteBehindBatcherOptions<E>;

  constructor(options: WriteBehindBatcherOptions<E>) {
    this.#options = options;
  }

  /**
   * Sets the pending entry of `id` to `update(current)`. The updater may change `current` in place and return
   * it: the hot path then allocates nothing for an id already pending.
   */
  upsert(id: string, update: (current: E | undefined) => E): void {
    const current = this.#pending.get(id);
    const next = update(current);
    if (next !== current) this.#pending.set(id, next);
    if (current === undefined && this.#pending.size >= (this.#options.maxPending ?? 10_000)) {
      this.#scheduleFlush();
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
    const batch = [...this.#pending.entries()];
    this.#pending = new Map();
    this.#flushing = this.#options
      .write(batch.map(([, entry]) => entry))
      .catch((error: unknown) => {
        for (const [id, entry] of batch)
          this.#pending.set(id, this.#options.mergeBack(entry, this.#pending.get(id)));
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
   * Flushes on the next turn of the event loop, never inside the caller: `upsert()` runs on the verify hot path,
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
