import type { UsageEntry } from "../store/records.js";
import { WriteBehindBatcher } from "./write-behind-batcher.js";

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
export class UsageBatcher extends WriteBehindBatcher<UsageEntry> {
  constructor(options: UsageBatcherOptions) {
    super({
      ...options,
      mergeBack(failed, pending) {
        if (pending === undefined) return failed;
        pending.count += failed.count;
        pending.lastUsedAt = Math.max(pending.lastUsedAt, failed.lastUsedAt);
        return pending;
      },
    });
  }

  /** Notes one use of `id` at `atMs`. */
  record(id: string, atMs: number): void {
    this.upsert(id, (entry) => {
      if (entry === undefined) return { id, lastUsedAt: atMs, count: 1 };
      entry.count += 1;
      if (atMs > entry.lastUsedAt) entry.lastUsedAt = atMs;
      return entry;
    });
  }
}
