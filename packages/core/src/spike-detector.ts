/** Thresholds of {@link SpikeDetector}; every one is documented in docs/alerts.md. */
export interface SpikeOptions {
  /** Length of one counting bucket (default 60 s). */
  bucketMs: number;
  /** Weight of the newest bucket in the baseline, 0–1 (default 0.2: about the last 5 buckets count). */
  alpha: number;
  /** A bucket is a spike when it reaches this many times the baseline (default 5). */
  factor: number;
  /** …and at least this many requests, so a key going from 1 to 6 a minute is no spike (default 100). */
  minCount: number;
  /** Buckets a key must have been seen over before it has a baseline at all (default 10). */
  minHistoryBuckets: number;
  /** Keys tracked at once; the least recently used are forgotten beyond it (default 100,000). */
  maxKeys: number;
}

export const DEFAULT_SPIKE_OPTIONS: SpikeOptions = {
  bucketMs: 60_000,
  alpha: 0.2,
  factor: 5,
  minCount: 100,
  minHistoryBuckets: 10,
  maxKeys: 100_000,
};

/** A key whose current bucket went far above its own baseline. */
export interface Spike {
  keyId: string;
  /** Start of the bucket that spiked (epoch ms). */
  bucketStart: number;
  count: number;
  /** The exponentially weighted moving average of the key's earlier buckets, requests per bucket. */
  baseline: number;
  threshold: number;
}

interface KeyRate {
  bucket: number;
  count: number;
  baseline: number;
  /** Buckets folded into the baseline so far. */
  history: number;
  /** The bucket already reported as a spike, so a bucket alerts once. */
  alerted: number;
}

/**
 * Finds keys whose request rate jumps far above their own normal: each key's requests are counted per bucket, and
 * a bucket spikes once it reaches `factor` × the key's baseline (an exponentially weighted moving average of its
 * earlier buckets, idle buckets included as zeros) and at least `minCount`. It fires while the bucket fills, not
 * after it ends. O(1) per request, bounded memory, the time passed in (no clock of its own).
 */
export class SpikeDetector {
  readonly #options: SpikeOptions;
  readonly #keys = new Map<string, KeyRate>();

  constructor(options: Partial<SpikeOptions> = {}) {
    this.#options = { ...DEFAULT_SPIKE_OPTIONS, ...options };
  }

  /** Counts `count` requests of `keyId` at `nowMs`; returns the spike the first time its bucket becomes one. */
  record(keyId: string, nowMs: number, count = 1): Spike | null {
    const { bucketMs, alpha, factor, minCount, minHistoryBuckets, maxKeys } = this.#options;
    const bucket = Math.floor(nowMs / bucketMs);
    let rate = this.#keys.get(keyId);
    if (rate === undefined) {
      if (this.#keys.size >= maxKeys) this.#forgetOldest();
      rate = { bucket, count: 0, baseline: 0, history: 0, alerted: -1 };
      this.#keys.set(keyId, rate);
    } else if (bucket > rate.bucket) {
      // Fold the finished bucket in, then one zero per idle bucket (the baseline decays while the key is quiet).
      const idle = Math.min(bucket - rate.bucket - 1, 1_000);
      rate.baseline = rate.history === 0 ? rate.count : alpha * rate.count + (1 - alpha) * rate.baseline;
      rate.baseline *= (1 - alpha) ** idle;
      rate.history += 1 + idle;
      rate.bucket = bucket;
      rate.count = 0;
      // Most recently used last, so the oldest are first to go.
      this.#keys.delete(keyId);
      this.#keys.set(keyId, rate);
    }
    // A late request (bucket < rate.bucket: another node's clock) counts in the current bucket.
    rate.count += count;
    if (rate.history < minHistoryBuckets || rate.alerted === rate.bucket) return null;
    const threshold = Math.max(minCount, factor * rate.baseline);
    if (rate.count < threshold) return null;
    rate.alerted = rate.bucket;
    return {
      keyId,
      bucketStart: rate.bucket * bucketMs,
      count: rate.count,
      baseline: rate.baseline,
      threshold,
    };
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#keys.size;
  }

  #forgetOldest(): void {
    const drop = Math.max(1, Math.floor(this.#options.maxKeys / 10));
    let dropped = 0;
    for (const key of this.#keys.keys()) {
      this.#keys.delete(key);
      if (++dropped >= drop) break;
    }
  }
}
