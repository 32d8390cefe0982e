import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SourceNetworkStore } from "../store/source-network-store.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Stores } from "../store/stores.js";
import type { KeySighting, Sighting } from "./anomaly-alerts.js";
import { NewSourceDetector, type NewSourceDetectorOptions } from "./new-source-detector.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const KEY = { id: "key_1", projectId: "proj_1" };
const OTHER = { id: "key_2", projectId: "proj_1" };

let stores: Stores;
let writes: number;
let failWrites: boolean;
let reported: Sighting[];
let errors: unknown[];
/** The SQLite store, counting calls and failing on demand. */
let store: SourceNetworkStore;

function detector(options: Partial<NewSourceDetectorOptions> = {}): NewSourceDetector {
  return new NewSourceDetector({
    store,
    report: (sighting) => reported.push(sighting),
    onError: (error) => errors.push(error),
    ...options,
  });
}

beforeEach(async () => {
  stores = openSqliteStores({ path: ":memory:" });
  await stores.keys.migrate();
  writes = 0;
  failWrites = false;
  reported = [];
  errors = [];
  store = {
    recordSourceNetworks(sightings) {
      writes += 1;
      if (failWrites) return Promise.reject(new Error("store down"));
      return stores.sourceNetworks.recordSourceNetworks(sightings);
    },
  };
});

afterEach(async () => {
  await stores.keys.close();
});

describe("NewSourceDetector", () => {
  it("raises nothing for a key's first networks, then new_source for a new network once the key has a history", async () => {
    const detect = detector();
    detect.record(KEY, "203.0.113.7", "VALID", T0);
    await detect.flush();
    detect.record(KEY, "198.51.100.1", "VALID", T0 + 30 * MINUTE_MS);
    await detect.flush();
    expect(reported).toEqual([]);

    detect.record(KEY, "192.0.2.44", "RATE_LIMITED", T0 + 2 * HOUR_MS);
    await detect.flush();
    expect(reported).toEqual<KeySighting[]>([
      {
        type: "new_source",
        key: KEY,
        code: "RATE_LIMITED",
        ip: "192.0.2.44",
        details: {
          network: "192.0.2.0/24",
          knownNetworks: 2,
          keyFirstSeenAt: new Date(T0).toISOString(),
        },
        atMs: T0 + 2 * HOUR_MS,
      },
    ]);
  });

  it("raises nothing for a key seen from one network only for less than the history it needs", async () => {
    const detect = detector({ thresholds: { minHistoryMs: 3 * HOUR_MS } });
    detect.record(KEY, "203.0.113.7", "VALID", T0);
    await detect.flush();
    detect.record(KEY, "198.51.100.1", "VALID", T0 + 2 * HOUR_MS);
    await detect.flush();
    expect(reported).toEqual([]);
  });

  it("costs a known pair no I/O: addresses of one /24 (or /48) are one network, written once", async () => {
    const detect = detector();
    for (let i = 0; i < 50; i += 1) {
      detect.record(KEY, `203.0.113.${i}`, "VALID", T0 + i);
      detect.record(KEY, `2001:db8:1:${i.toString(16)}::1`, "VALID", T0 + i);
      detect.record(KEY, "::ffff:203.0.113.9", "VALID", T0 + i);
    }
    expect(detect.pendingCount).toBe(2);
    await detect.flush();
    await detect.flush();
    expect(writes).toBe(1);
    for (let i = 0; i < 50; i += 1) detect.record(KEY, "203.0.113.1", "VALID", T0 + HOUR_MS + i);
    expect(detect.pendingCount).toBe(0);
  });

  it("ignores what is not an IP address", async () => {
    const detect = detector();
    detect.record(KEY, "not an address", "VALID", T0);
    detect.record(KEY, "", "VALID", T0);
    expect(detect.pendingCount).toBe(0);
    expect(detect.size).toBe(0);
  });

  it("leaves a pair another node recorded first to that node: one alert across nodes", async () => {
    const [a, b] = [detector(), detector()];
    a.record(KEY, "203.0.113.7", "VALID", T0);
    await a.flush();
    a.record(KEY, "192.0.2.1", "VALID", T0 + 2 * HOUR_MS);
    b.record(KEY, "192.0.2.2", "VALID", T0 + 2 * HOUR_MS);
    await Promise.all([a.flush(), b.flush()]);
    expect(reported.map((s) => s.type)).toEqual(["new_source"]);
  });

  it("keeps the pairs of a failed write for the next flush, and judges them then", async () => {
    const detect = detector();
    detect.record(KEY, "203.0.113.7", "VALID", T0);
    await detect.flush();
    failWrites = true;
    detect.record(KEY, "192.0.2.1", "VALID", T0 + 2 * HOUR_MS);
    await detect.flush();
    expect(errors).toEqual([new Error("store down")]);
    expect(detect.pendingCount).toBe(1);
    failWrites = false;
    await detect.flush();
    expect(reported).toEqual([expect.objectContaining({ type: "new_source", atMs: T0 + 2 * HOUR_MS })]);
  });

  it("remembers at most maxKeys keys; a forgotten key's known networks raise nothing when seen again", async () => {
    const detect = detector({ maxKeys: 10 });
    for (let i = 0; i < 100; i += 1)
      detect.record({ id: `key_${i}`, projectId: "p" }, "203.0.113.7", "VALID", T0);
    expect(detect.size).toBeLessThanOrEqual(10);
    await detect.flush();
    for (let i = 0; i < 100; i += 1)
      detect.record({ id: `key_${i}`, projectId: "p" }, "203.0.113.7", "VALID", T0 + 2 * HOUR_MS);
    await detect.flush();
    expect(reported).toEqual([]);
  });

  it("flushes on its own, off the caller, once maxPending pairs wait", async () => {
    const detect = detector({ maxPending: 3 });
    detect.record(KEY, "203.0.113.7", "VALID", T0);
    detect.record(KEY, "198.51.100.7", "VALID", T0);
    detect.record(OTHER, "203.0.113.7", "VALID", T0);
    expect(writes).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    await detect.flush();
    expect(writes).toBe(1);
    expect(detect.pendingCount).toBe(0);
  });
});
