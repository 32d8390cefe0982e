/** What {@link AlertDeduplicator.observe} decided. */
export type DedupDecision =
  /** The first occurrence in a while: raise an alert. */
  | { raise: true }
  /** Part of a storm already alerted: count it on that alert instead. */
  | { raise: false; occurrences: number };

interface Storm {
  lastSeen: number;
  occurrences: number;
}

/**
 * One storm is one alert: occurrences with the same dedup key (e.g. `canary:key_123`) raise an alert the first
 * time, then only count until the key has been quiet for `quietMs`; the next occurrence after that is a new
 * storm. Bounded memory; the time is passed in.
 */
export class AlertDeduplicator {
  readonly #quietMs: number;
  readonly #maxKeys: number;
  readonly #storms = new Map<string, Storm>();

  constructor(options: { quietMs: number; maxKeys?: number }) {
    this.#quietMs = options.quietMs;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  observe(dedupKey: string, nowMs: number): DedupDecision {
    const storm = this.#storms.get(dedupKey);
    if (storm !== undefined && nowMs - storm.lastSeen < this.#quietMs) {
      storm.lastSeen = Math.max(storm.lastSeen, nowMs);
      storm.occurrences += 1;
      return { raise: false, occurrences: storm.occurrences };
    }
    if (storm === undefined && this.#storms.size >= this.#maxKeys) this.#forgetQuiet(nowMs);
    this.#storms.set(dedupKey, { lastSeen: nowMs, occurrences: 1 });
    return { raise: true };
  }

  /** Drops storms that are over; if all are still going, the oldest tenth, so memory stays bounded. */
  #forgetQuiet(nowMs: number): void {
    for (const [key, storm] of this.#storms) {
      if (nowMs - storm.lastSeen >= this.#quietMs) this.#storms.delete(key);
    }
    if (this.#storms.size < this.#maxKeys) return;
    let dropped = 0;
    for (const key of this.#storms.keys()) {
      this.#storms.delete(key);
      if (++dropped >= Math.max(1, Math.floor(this.#maxKeys / 10))) break;
    }
  }
}
