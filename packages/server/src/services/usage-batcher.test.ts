import { afterEach, describe, expect, it, vi } from "vitest";
import type { UsageEntry } from "../store/records.js";
import { UsageBatcher } from "./usage-batcher.js";

/** A promise the test settles by hand, so a write can be held "in flight". */
function deferred(): { promise: Promise<void>; resolve(): void; reject(error: unknown): void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A write function that remembers every batch it was given (as copies). */
function recordingWrite(): { batches: UsageEntry[][]; write(entries: UsageEntry[]): Promise<void> } {
  const batches: UsageEntry[][] = [];
  return {
    batches,
    async write(entries) {
      batches.push(entries.map((e) => ({ ...e })));
    },
  };
}

function byId(entries: readonly UsageEntry[]): UsageEntry[] {
  return [...entries].sort((a, b) => a.id.localeCompare(b.id));
}

describe("UsageBatcher", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("merges uses of one id: counts add up and lastUsedAt is the latest time, whatever the order", async () => {
    const sink = recordingWrite();
    const batcher = new UsageBatcher({ write: sink.write });
    batcher.record("key_a", 1_000);
    batcher.record("key_a", 3_000);
    batcher.record("key_a", 2_000);
    batcher.record("key_b", 500);
    expect(batcher.pendingCount).toBe(2);
    await batcher.flush();
    expect(sink.batches).toHaveLength(1);
    expect(byId(sink.batches[0] ?? [])).toEqual([
      { id: "key_a", lastUsedAt: 3_000, count: 3 },
      { id: "key_b", lastUsedAt: 500, count: 1 },
    ]);
  });

  it("flush() writes everything pending in one batch and leaves nothing pending", async () => {
    const sink = recordingWrite();
    const batcher = new UsageBatcher({ write: sink.write });
    for (let i = 0; i < 50; i++) batcher.record(`key_${i}`, i);
    await batcher.flush();
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]).toHaveLength(50);
    expect(batcher.pendingCount).toBe(0);
    await batcher.flush();
    expect(sink.batches).toHaveLength(1);
  });

  it("flush() with nothing pending does not write", async () => {
    const write = vi.fn(async () => {});
    await new UsageBatcher({ write }).flush();
    expect(write).not.toHaveBeenCalled();
  });

  it("a failed write puts its entries back, calls onError, and the next flush writes them merged with newer uses", async () => {
    const failure = new Error("store is down");
    const batches: UsageEntry[][] = [];
    let fail = true;
    const onError = vi.fn();
    const batcher = new UsageBatcher({
      async write(entries) {
        batches.push(entries.map((e) => ({ ...e })));
        if (fail) throw failure;
      },
      onError,
    });
    batcher.record("key_a", 100);
    batcher.record("key_a", 200);
    await expect(batcher.flush()).resolves.toBeUndefined();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(failure);
    expect(batcher.pendingCount).toBe(1);

    batcher.record("key_a", 150);
    batcher.record("key_b", 300);
    fail = false;
    await batcher.flush();
    expect(batches).toHaveLength(2);
    expect(byId(batches[1] ?? [])).toEqual([
      { id: "key_a", lastUsedAt: 200, count: 3 },
      { id: "key_b", lastUsedAt: 300, count: 1 },
    ]);
    expect(batcher.pendingCount).toBe(0);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it("uses recorded while a failing write is in flight are merged with the entries put back", async () => {
    const gate = deferred();
    const batches: UsageEntry[][] = [];
    let calls = 0;
    const batcher = new UsageBatcher({
      async write(entries) {
        batches.push(entries.map((e) => ({ ...e })));
        calls += 1;
        if (calls === 1) await gate.promise;
      },
      onError: () => {},
    });
    batcher.record("key_a", 100);
    const flushing = batcher.flush();
    batcher.record("key_a", 50);
    batcher.record("key_a", 400);
    gate.reject(new Error("timeout"));
    await flushing;
    expect(batcher.pendingCount).toBe(1);
    await batcher.flush();
    expect(batches[1]).toEqual([{ id: "key_a", lastUsedAt: 400, count: 3 }]);
  });

  it("a failed write without onError is not thrown to the caller and the entries stay pending", async () => {
    const batcher = new UsageBatcher({
      write: async () => {
        throw new Error("nope");
      },
    });
    batcher.record("key_a", 1);
    await expect(batcher.flush()).resolves.toBeUndefined();
    expect(batcher.pendingCount).toBe(1);
  });

  it("concurrent flush() calls write a batch once, never twice", async () => {
    const gate = deferred();
    const write = vi.fn(async (_entries: UsageEntry[]) => gate.promise);
    const batcher = new UsageBatcher({ write });
    batcher.record("key_a", 1);
    const flushes = [batcher.flush(), batcher.flush(), batcher.flush()];
    gate.resolve();
    await Promise.all(flushes);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it("never runs two writes at once, even when uses arrive during a write", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const gates = [deferred(), deferred()];
    const batches: UsageEntry[][] = [];
    const batcher = new UsageBatcher({
      async write(entries) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const gate = gates[batches.length];
        batches.push(entries.map((e) => ({ ...e })));
        await gate?.promise;
        inFlight -= 1;
      },
    });
    batcher.record("key_a", 1);
    const first = batcher.flush();
    batcher.record("key_b", 2);
    const second = batcher.flush();
    const third = batcher.flush();
    gates[0]?.resolve();
    await Promise.resolve();
    gates[1]?.resolve();
    await Promise.all([first, second, third]);
    expect(maxInFlight).toBe(1);
    expect(batches).toEqual([
      [{ id: "key_a", lastUsedAt: 1, count: 1 }],
      [{ id: "key_b", lastUsedAt: 2, count: 1 }],
    ]);
  });

  it("every flush() resolves only after the uses recorded before it were written", async () => {
    const gates = [deferred(), deferred()];
    const written = new Set<string>();
    let calls = 0;
    const batcher = new UsageBatcher({
      async write(entries) {
        const gate = gates[calls];
        calls += 1;
        await gate?.promise;
        for (const e of entries) written.add(e.id);
      },
    });
    batcher.record("key_a", 1);
    const first = batcher.flush();
    batcher.record("key_b", 2);
    const second = batcher.flush();
    const third = batcher.flush();
    // What each later flush saw written at the moment it resolved.
    const secondSaw = second.then(() => written.has("key_b"));
    const thirdSaw = third.then(() => written.has("key_b"));
    gates[0]?.resolve();
    await first;
    // Let every pending continuation run while the second write is still held open.
    await new Promise((resolve) => setImmediate(resolve));
    gates[1]?.resolve();
    expect(await secondSaw).toBe(true);
    expect(await thirdSaw).toBe(true);
  });

  it("flushes on its own when maxPending distinct ids are waiting", async () => {
    const sink = recordingWrite();
    const batcher = new UsageBatcher({ write: sink.write, maxPending: 3 });
    batcher.record("key_a", 1);
    batcher.record("key_b", 2);
    batcher.record("key_b", 3);
    batcher.record("key_a", 4);
    await Promise.resolve();
    expect(sink.batches).toHaveLength(0);
    batcher.record("key_c", 5);
    // Never inside record() itself: it runs on the verify hot path.
    expect(sink.batches).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.batches).toHaveLength(1);
    await batcher.flush();
    expect(sink.batches).toHaveLength(1);
    expect(byId(sink.batches[0] ?? [])).toEqual([
      { id: "key_a", lastUsedAt: 4, count: 2 },
      { id: "key_b", lastUsedAt: 3, count: 2 },
      { id: "key_c", lastUsedAt: 5, count: 1 },
    ]);
  });

  it("start() flushes every interval and stop() writes what is left and stops the timer", async () => {
    vi.useFakeTimers();
    const sink = recordingWrite();
    const batcher = new UsageBatcher({ write: sink.write });
    batcher.start(1_000);
    batcher.record("key_a", 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(sink.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.batches).toEqual([[{ id: "key_a", lastUsedAt: 1, count: 1 }]]);
    batcher.record("key_b", 2);
    await batcher.stop();
    expect(sink.batches).toHaveLength(2);
    batcher.record("key_c", 3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.batches).toHaveLength(2);
    expect(batcher.pendingCount).toBe(1);
  });
});
