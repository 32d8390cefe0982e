import { describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import { DigestCache } from "./digest-cache.js";

interface Entry {
  id: string;
  name: string;
}

function digestOf(n: number): Buffer {
  return Buffer.alloc(32, n);
}

function entry(id: string): Entry {
  return { id, name: `record ${id}` };
}

describe("DigestCache", () => {
  it("returns what was set under a digest, and undefined for a digest never set", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 1_000, clock: new ManualClock() });
    const record = entry("key_a");
    cache.set(digestOf(1), record);
    expect(cache.get(digestOf(1))).toBe(record);
    expect(cache.get(Buffer.from(digestOf(1)))).toBe(record);
    expect(cache.get(digestOf(2))).toBeUndefined();
  });

  it("tells digests apart by every byte, including bytes above 0x7f", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 0, clock: new ManualClock() });
    const high = Buffer.alloc(32, 0xff);
    const almost = Buffer.from(high);
    almost[31] = 0xfe;
    cache.set(high, entry("key_high"));
    cache.set(almost, entry("key_almost"));
    expect(cache.get(high)?.id).toBe("key_high");
    expect(cache.get(almost)?.id).toBe("key_almost");
    expect(cache.size).toBe(2);
  });

  it("holds at most maxEntries, evicting the least recently used", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 2, ttlMs: 0, clock: new ManualClock() });
    cache.set(digestOf(1), entry("key_1"));
    cache.set(digestOf(2), entry("key_2"));
    // Reading key_1 makes key_2 the least recently used.
    expect(cache.get(digestOf(1))?.id).toBe("key_1");
    cache.set(digestOf(3), entry("key_3"));
    expect(cache.size).toBe(2);
    expect(cache.get(digestOf(2))).toBeUndefined();
    expect(cache.get(digestOf(1))?.id).toBe("key_1");
    expect(cache.get(digestOf(3))?.id).toBe("key_3");
  });

  it("serves an entry until ttlMs has passed on the injected clock, and not after", () => {
    const clock = new ManualClock();
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 1_000, clock });
    cache.set(digestOf(1), entry("key_1"));
    expect(cache.get(digestOf(1))?.id).toBe("key_1");
    clock.advance(999);
    expect(cache.get(digestOf(1))?.id).toBe("key_1");
    clock.advance(2);
    expect(cache.get(digestOf(1))).toBeUndefined();
  });

  it("expires each entry by its own set time", () => {
    const clock = new ManualClock();
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 1_000, clock });
    cache.set(digestOf(1), entry("key_1"));
    clock.advance(600);
    cache.set(digestOf(2), entry("key_2"));
    clock.advance(600);
    expect(cache.get(digestOf(1))).toBeUndefined();
    expect(cache.get(digestOf(2))?.id).toBe("key_2");
    clock.advance(600);
    expect(cache.get(digestOf(2))).toBeUndefined();
  });

  it("keeps entries forever on the clock when ttlMs is 0 (only the LRU bound applies)", () => {
    const clock = new ManualClock();
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 0, clock });
    cache.set(digestOf(1), entry("key_1"));
    clock.advance(365 * 86_400_000);
    expect(cache.get(digestOf(1))?.id).toBe("key_1");
  });

  it("deleteById() drops the entry for that id so the next get misses", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 1_000, clock: new ManualClock() });
    cache.set(digestOf(1), entry("key_1"));
    cache.set(digestOf(2), entry("key_2"));
    cache.deleteById("key_1");
    expect(cache.get(digestOf(1))).toBeUndefined();
    expect(cache.get(digestOf(2))?.id).toBe("key_2");
    expect(cache.size).toBe(1);
  });

  it("deleteById() of an unknown, evicted or expired id changes nothing and does not throw", () => {
    const clock = new ManualClock();
    const cache = new DigestCache<Entry>({ maxEntries: 1, ttlMs: 1_000, clock });
    cache.deleteById("key_never");
    cache.set(digestOf(1), entry("key_1"));
    cache.set(digestOf(2), entry("key_2"));
    cache.deleteById("key_1");
    expect(cache.get(digestOf(2))?.id).toBe("key_2");
    clock.advance(5_000);
    cache.deleteById("key_2");
    expect(cache.size).toBe(0);
  });

  it("an entry cached again after eviction can still be dropped by id", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 1, ttlMs: 0, clock: new ManualClock() });
    cache.set(digestOf(1), entry("key_1"));
    cache.set(digestOf(2), entry("key_2"));
    cache.set(digestOf(1), entry("key_1"));
    cache.deleteById("key_1");
    expect(cache.get(digestOf(1))).toBeUndefined();
  });

  it("stores nothing when maxEntries is 0", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 0, ttlMs: 1_000, clock: new ManualClock() });
    cache.set(digestOf(1), entry("key_1"));
    expect(cache.get(digestOf(1))).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.deleteById("key_1");
  });

  it("does not cache a record read before a drop came in: it may predate the change that caused the drop", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 0, clock: new ManualClock() });
    const before = cache.generation;
    // Another node revokes key_1 while this one is reading it from the store.
    cache.deleteById("key_1");
    cache.set(digestOf(1), entry("key_1"), before);
    expect(cache.get(digestOf(1))).toBeUndefined();
    // A read that began after the drop is cached.
    const after = cache.generation;
    cache.set(digestOf(1), entry("key_1"), after);
    expect(cache.get(digestOf(1))?.id).toBe("key_1");
  });

  it("clear() drops every record and any read in flight", () => {
    const cache = new DigestCache<Entry>({ maxEntries: 10, ttlMs: 0, clock: new ManualClock() });
    cache.set(digestOf(1), entry("key_1"));
    cache.set(digestOf(2), entry("key_2"));
    const inFlight = cache.generation;
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set(digestOf(3), entry("key_3"), inFlight);
    expect(cache.get(digestOf(3))).toBeUndefined();
    cache.deleteById("key_1");
  });
});
