import type { KeyRecord } from "@keyward/core/key-record.js";
import type { SpikeDetector } from "@keyward/core/spike-detector.js";
import type { Sighting } from "./anomaly-alerts.js";
import type { NewSourceDetector } from "./new-source-detector.js";

/** Options for {@link TrafficDetectors}. */
export interface TrafficDetectorsOptions {
  /** Per-key rate baselines of this process; null turns the spike detector off. */
  spikes: SpikeDetector | null;
  /** Networks each key was used from; null turns the new-source detector off. */
  newSources: NewSourceDetector | null;
  /** Where spikes go (AnomalyAlerts). */
  report(sighting: Sighting): void;
}

/**
 * The detectors that watch every verification that found a key: `spike` and `new_source`. `observe()` is on the
 * verify hot path: synchronous, O(1), no I/O; anything to write goes through batches flushed off it.
 *
 * Each process judges spikes on its own share of the traffic: behind a balancer, a key's baseline and its current
 * rate are both per node, so their ratio holds, while `minCount` applies per node.
 */
export class TrafficDetectors {
  readonly #options: TrafficDetectorsOptions;

  constructor(options: TrafficDetectorsOptions) {
    this.#options = options;
  }

  /** One verification of `key` answered `code`, naming the client address `ip` (if any), at `nowMs`. */
  observe(key: KeyRecord, code: string, ip: string | undefined, nowMs: number): void {
    const spike = this.#options.spikes?.record(key.id, nowMs);
    if (spike != null) {
      this.#options.report({
        type: "spike",
        key,
        code,
        ...(ip === undefined ? {} : { ip }),
        details: {
          count: spike.count,
          baseline: Math.round(spike.baseline * 100) / 100,
          threshold: Math.round(spike.threshold * 100) / 100,
          bucketStart: new Date(spike.bucketStart).toISOString(),
        },
        atMs: nowMs,
      });
    }
    if (ip !== undefined) this.#options.newSources?.record(key, ip, code, nowMs);
  }

  /** Writes the pending new-source pairs and reports what they show. */
  async flush(): Promise<void> {
    await this.#options.newSources?.flush();
  }

  /** Flushes every `intervalMs` until {@link stop}. */
  start(intervalMs: number): void {
    this.#options.newSources?.start(intervalMs);
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    await this.#options.newSources?.stop();
  }
}
