import { describe, expect, it } from "vitest";
import { type Spike, SpikeDetector } from "./spike-detector.js";

const MINUTE = 60_000;
const T0 = Date.parse("2026-11-28T12:00:00.000Z");

/** Sends `perMinute[i]` requests of `keyId` spread over minute i; returns every spike raised. */
function replay(detector: SpikeDetector, keyId: string, perMinute: readonly number[], start = T0) {
  const spikes: Array<Spike & { minute: number }> = [];
  perMinute.forEach((count, minute) => {
    for (let i = 0; i < count; i++) {
      const spike = detector.record(keyId, start + minute * MINUTE + Math.floor((i * MINUTE) / count));
      if (spike !== null) spikes.push({ minute, ...spike });
    }
  });
  return spikes;
}

describe("SpikeDetector", () => {
  it("raises one spike when a key jumps far above its own steady rate, while the minute is still filling", () => {
    const detector = new SpikeDetector();
    const spikes = replay(detector, "key_a", [...Array(30).fill(100), 2_000, 100]);
    expect(spikes).toHaveLength(1);
    expect(spikes[0]).toMatchObject({
      minute: 30,
      keyId: "key_a",
      bucketStart: T0 + 30 * MINUTE,
      count: 500,
    });
    expect(spikes[0]?.baseline).toBeCloseTo(100, 5);
  });

  it("stays quiet on normal traffic: noise around the baseline, a slow ramp, a daily doubling", () => {
    const detector = new SpikeDetector();
    const noisy = Array.from({ length: 120 }, (_, i) => 200 + ((i * 37) % 100) - 50);
    const ramp = Array.from({ length: 120 }, (_, i) => 100 + i * 5);
    expect(replay(detector, "key_noisy", noisy)).toEqual([]);
    expect(replay(detector, "key_ramp", ramp)).toEqual([]);
    expect(replay(detector, "key_double", [...Array(20).fill(300), ...Array(20).fill(600)])).toEqual([]);
  });

  it("judges each key against its own baseline: a busy key's normal is a quiet key's spike", () => {
    const detector = new SpikeDetector();
    expect(replay(detector, "key_busy", Array(20).fill(1_000))).toEqual([]);
    expect(replay(detector, "key_quiet", [...Array(20).fill(20), 1_000])).toHaveLength(1);
  });

  it("needs a history and a minimum count: a new key or a small key going from 1 to 50 is no spike", () => {
    const detector = new SpikeDetector();
    expect(replay(detector, "key_new", [5_000])).toEqual([]);
    expect(replay(detector, "key_small", [...Array(20).fill(1), 50])).toEqual([]);
  });

  it("lets the baseline decay over idle minutes, so a key back from a quiet night is compared with quiet", () => {
    const detector = new SpikeDetector({ minCount: 50 });
    replay(detector, "key_idle", Array(20).fill(1_000));
    // Four hours without a request: the baseline falls close to zero, so 1,000 again is a spike.
    const back = replay(detector, "key_idle", [1_000], T0 + (20 + 240) * MINUTE);
    expect(back).toHaveLength(1);
  });

  it("keeps at most maxKeys keys, forgetting the least recently used", () => {
    const detector = new SpikeDetector({ maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) detector.record(`key_${i}`, T0);
    expect(detector.size).toBeLessThanOrEqual(100);
  });
});
