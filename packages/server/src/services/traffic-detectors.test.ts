import type { KeyRecord } from "@keyward/core/key-record.js";
import { SpikeDetector } from "@keyward/core/spike-detector.js";
import { describe, expect, it } from "vitest";
import type { Sighting } from "./anomaly-alerts.js";
import type { NewSourceDetector } from "./new-source-detector.js";
import { TrafficDetectors } from "./traffic-detectors.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");
const MINUTE_MS = 60_000;
const KEY = { id: "key_1", projectId: "proj_1" } as KeyRecord;

/** A new-source detector that only remembers what it was told. */
function fakeNewSources(): { detector: NewSourceDetector; seen: unknown[][] } {
  const seen: unknown[][] = [];
  const detector = {
    record: (...args: unknown[]) => seen.push(args),
    flush: async () => {},
    start: () => {},
    stop: async () => {},
  } as unknown as NewSourceDetector;
  return { detector, seen };
}

describe("TrafficDetectors", () => {
  it("reports a spike once per bucket, with its counts, baseline, threshold and bucket start", () => {
    const reported: Sighting[] = [];
    const detectors = new TrafficDetectors({
      spikes: new SpikeDetector({ minCount: 50, factor: 5, minHistoryBuckets: 10 }),
      newSources: null,
      report: (s) => reported.push(s),
    });
    // Twenty quiet minutes at 10 a minute, then 60 in one minute.
    for (let minute = 0; minute < 20; minute += 1)
      for (let i = 0; i < 10; i += 1) detectors.observe(KEY, "VALID", undefined, T0 + minute * MINUTE_MS + i);
    expect(reported).toEqual([]);
    const spikeAt = T0 + 20 * MINUTE_MS;
    for (let i = 0; i < 60; i += 1) detectors.observe(KEY, "VALID", "203.0.113.7", spikeAt + i);
    expect(reported).toEqual([
      {
        type: "spike",
        key: KEY,
        code: "VALID",
        ip: "203.0.113.7",
        details: { count: 50, baseline: 10, threshold: 50, bucketStart: new Date(spikeAt).toISOString() },
        atMs: spikeAt + 49,
      },
    ]);
  });

  it("hands every verification naming an address to the new-source detector, and none without one", () => {
    const { detector, seen } = fakeNewSources();
    const detectors = new TrafficDetectors({ spikes: null, newSources: detector, report: () => {} });
    detectors.observe(KEY, "VALID", "203.0.113.7", T0);
    detectors.observe(KEY, "REVOKED", undefined, T0);
    expect(seen).toEqual([[KEY, "203.0.113.7", "VALID", T0]]);
  });
});
