import { describe, expect, it } from "vitest";
import { AlertDeduplicator } from "./alert-dedup.js";

describe("AlertDeduplicator", () => {
  it("raises once per storm and counts the rest, however long the storm lasts", () => {
    const dedup = new AlertDeduplicator({ quietMs: 60_000 });
    expect(dedup.observe("canary:key_1", 0)).toEqual({ raise: true });
    for (let t = 1_000; t <= 600_000; t += 1_000) expect(dedup.observe("canary:key_1", t).raise).toBe(false);
    expect(dedup.observe("canary:key_1", 601_000)).toEqual({ raise: false, occurrences: 602 });
  });

  it("raises again after the key has been quiet for quietMs", () => {
    const dedup = new AlertDeduplicator({ quietMs: 60_000 });
    dedup.observe("dead:key_1", 0);
    expect(dedup.observe("dead:key_1", 59_999).raise).toBe(false);
    expect(dedup.observe("dead:key_1", 59_999 + 60_000)).toEqual({ raise: true });
  });

  it("keeps storms of different keys apart", () => {
    const dedup = new AlertDeduplicator({ quietMs: 60_000 });
    expect(dedup.observe("canary:key_1", 0).raise).toBe(true);
    expect(dedup.observe("canary:key_2", 0).raise).toBe(true);
    expect(dedup.observe("new_source:key_1:203.0.113.0/24", 0).raise).toBe(true);
  });

  it("stays bounded when a flood of distinct keys arrives", () => {
    const dedup = new AlertDeduplicator({ quietMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) dedup.observe(`brute_force:10.0.${i >> 8}.${i & 255}`, i);
    expect(dedup.observe("brute_force:10.0.0.0", 10_001).raise).toBe(true);
  });
});
