import { describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import type { UsageBucketEntry, UsagePruning } from "../store/usage-records.js";
import { UsageAnalytics } from "./usage-analytics.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");
const HOUR = 3_600_000;

/** A store double that remembers every batch (as copies) and pruning, and fails while `failing` is set. */
function fakeStore() {
  const fake = {
    batches: [] as UsageBucketEntry[][],
    prunings: [] as UsagePruning[],
    failWrites: false,
    failPrunes: false,
    async recordUsageBuckets(entries: readonly UsageBucketEntry[]): Promise<void> {
      if (fake.failWrites) throw new Error("store down");
      fake.batches.push(entries.map((e) => ({ ...e })));
    },
    async pruneUsageBuckets(pruning: UsagePruning): Promise<number> {
      if (fake.failPrunes) throw new Error("store down");
      fake.prunings.push(pruning);
      return 0;
    },
  };
  return fake;
}

function sorted(entries: readonly UsageBucketEntry[] | undefined): UsageBucketEntry[] {
  const key = (e: UsageBucketEntry) => `${e.keyId}|${e.code}|${e.minuteStart}`;
  return [...(entries ?? [])].sort((a, b) => key(a).localeCompare(key(b)));
}

function setup(clock = new ManualClock(T0)) {
  const store = fakeStore();
  const errors: unknown[] = [];
  const analytics = new UsageAnalytics({
    store,
    clock,
    minuteRetentionMs: 48 * HOUR,
    hourRetentionMs: 90 * 24 * HOUR,
    onError: (error) => errors.push(error),
  });
  return { store, errors, analytics, clock };
}

describe("UsageAnalytics", () => {
  it("counts outcomes per key, project, code and UTC minute, and writes them in one batch", async () => {
    const { store, analytics } = setup();
    analytics.record("key_a", "proj_1", "VALID", T0 + 1_000);
    analytics.record("key_a", "proj_1", "VALID", T0 + 59_999);
    analytics.record("key_a", "proj_1", "RATE_LIMITED", T0 + 2_000);
    analytics.record("key_a", "proj_1", "VALID", T0 + 60_000);
    analytics.record("", "proj_1", "NOT_FOUND", T0 + 5);
    expect(analytics.pendingCount).toBe(4);
    await analytics.flush();
    expect(sorted(store.batches[0])).toEqual([
      { keyId: "", projectId: "proj_1", code: "NOT_FOUND", minuteStart: T0, count: 1 },
      { keyId: "key_a", projectId: "proj_1", code: "RATE_LIMITED", minuteStart: T0, count: 1 },
      { keyId: "key_a", projectId: "proj_1", code: "VALID", minuteStart: T0, count: 2 },
      { keyId: "key_a", projectId: "proj_1", code: "VALID", minuteStart: T0 + 60_000, count: 1 },
    ]);
    expect(analytics.pendingCount).toBe(0);
    await analytics.flush();
    expect(store.batches).toHaveLength(1);
  });

  it("keeps a failed batch and adds it to what came meanwhile, so no outcome is lost or counted twice", async () => {
    const { store, errors, analytics } = setup();
    analytics.record("key_a", "proj_1", "VALID", T0);
    analytics.record("key_a", "proj_1", "VALID", T0);
    store.failWrites = true;
    await analytics.flush();
    expect(errors).toHaveLength(1);
    analytics.record("key_a", "proj_1", "VALID", T0);
    store.failWrites = false;
    await analytics.flush();
    // The retried entry and the new one may come as two entries: the store adds them up.
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0]?.reduce((sum, e) => sum + e.count, 0)).toBe(3);
    expect(new Set(store.batches[0]?.map((e) => `${e.keyId}|${e.code}|${e.minuteStart}`))).toEqual(
      new Set([`key_a|VALID|${T0}`]),
    );
    expect(analytics.pendingCount).toBe(0);
  });

  it("keeps the entry of an earlier minute when the next minute starts, and a late outcome of it apart", async () => {
    const { store, analytics } = setup();
    analytics.record("key_a", "proj_1", "VALID", T0);
    analytics.record("key_a", "proj_1", "VALID", T0 + 60_000);
    analytics.record("key_a", "proj_1", "VALID", T0 + 60_001);
    analytics.record("key_a", "proj_1", "VALID", T0 + 59_999);
    await analytics.flush();
    const counts = new Map<number, number>();
    for (const e of store.batches[0] ?? [])
      counts.set(e.minuteStart, (counts.get(e.minuteStart) ?? 0) + e.count);
    expect(counts).toEqual(
      new Map([
        [T0, 2],
        [T0 + 60_000, 2],
      ]),
    );
  });

  it("writes a large batch in chunks and keeps only the chunks a failure left unwritten", async () => {
    const { store, errors, analytics } = setup();
    for (let i = 0; i < 600; i += 1)
      analytics.record(`key_${String(i).padStart(3, "0")}`, "proj_1", "VALID", T0);
    let calls = 0;
    const write = store.recordUsageBuckets;
    store.recordUsageBuckets = async (entries) => {
      calls += 1;
      if (calls === 2) throw new Error("store down");
      await write(entries);
    };
    await analytics.flush();
    expect(errors).toHaveLength(1);
    expect(store.batches.map((b) => b.length)).toEqual([250]);
    expect(analytics.pendingCount).toBe(350);
    await analytics.flush();
    expect(store.batches.map((b) => b.length)).toEqual([250, 250, 100]);
    const written = store.batches.flat();
    expect(new Set(written.map((e) => e.keyId)).size).toBe(600);
    expect(written.reduce((sum, e) => sum + e.count, 0)).toBe(600);
  });

  it("writes early, outside the caller, when maxPending entries are waiting", async () => {
    const store = fakeStore();
    const analytics = new UsageAnalytics({
      store,
      clock: new ManualClock(T0),
      minuteRetentionMs: HOUR,
      hourRetentionMs: HOUR,
      maxPending: 3,
    });
    analytics.record("key_a", "proj_1", "VALID", T0);
    analytics.record("key_b", "proj_1", "VALID", T0);
    analytics.record("key_c", "proj_1", "VALID", T0);
    expect(store.batches).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.batches[0]).toHaveLength(3);
  });

  it("prunes old minute and hour buckets at most once an hour, and a failed pruning never touches counts", async () => {
    const { store, errors, analytics, clock } = setup();
    analytics.record("key_a", "proj_1", "VALID", T0);
    await analytics.flush();
    expect(store.prunings).toEqual([{ minutesBeforeMs: T0 - 48 * HOUR, hoursBeforeMs: T0 - 90 * 24 * HOUR }]);
    clock.advance(HOUR - 1);
    await analytics.flush();
    expect(store.prunings).toHaveLength(1);
    clock.advance(1);
    store.failPrunes = true;
    analytics.record("key_a", "proj_1", "VALID", clock.now());
    await analytics.flush();
    expect(errors).toHaveLength(1);
    expect(store.batches).toHaveLength(2);
    // Retried a minute later, not on every flush.
    store.failPrunes = false;
    clock.advance(59_999);
    await analytics.flush();
    expect(store.prunings).toHaveLength(1);
    clock.advance(1);
    await analytics.flush();
    expect(store.prunings).toHaveLength(2);
    expect(store.batches).toHaveLength(2);
  });

  it("writes what is pending on stop()", async () => {
    const { store, analytics } = setup();
    analytics.start(60_000);
    analytics.record("key_a", "proj_1", "EXPIRED", T0);
    await analytics.stop();
    expect(store.batches).toEqual([
      [{ keyId: "key_a", projectId: "proj_1", code: "EXPIRED", minuteStart: T0, count: 1 }],
    ]);
  });
});
