import { describe, expect, it } from "vitest";
import { pepperSchedule } from "./pepper-schedule.js";

const v = (version: number, activatesAt: number) => ({ version, activatesAt });

describe("pepperSchedule", () => {
  it("uses the only version, whatever its activation time, and never changes", () => {
    const only = v(1, 5_000);
    expect(pepperSchedule([only], 0)).toEqual({
      current: only,
      lookupOrder: [only],
      changesAt: Number.POSITIVE_INFINITY,
    });
  });

  it("keeps the old version current until the new one activates, but already looks the new one up", () => {
    const schedule = pepperSchedule([v(2, 1_000), v(1, 0)], 999);
    expect(schedule.current.version).toBe(1);
    expect(schedule.lookupOrder.map((p) => p.version)).toEqual([1, 2]);
    expect(schedule.changesAt).toBe(1_000);
  });

  it("switches to the new version at its activation instant and still finds digests of the old one", () => {
    const schedule = pepperSchedule([v(1, 0), v(2, 1_000)], 1_000);
    expect(schedule.current.version).toBe(2);
    expect(schedule.lookupOrder.map((p) => p.version)).toEqual([2, 1]);
    expect(schedule.changesAt).toBe(Number.POSITIVE_INFINITY);
  });

  it("orders lookups current, newer (nearest first), then older (newest first)", () => {
    const versions = [v(1, 0), v(2, 100), v(3, 200), v(4, 300), v(5, 400)];
    const schedule = pepperSchedule(versions, 250);
    expect(schedule.current.version).toBe(3);
    expect(schedule.lookupOrder.map((p) => p.version)).toEqual([3, 4, 5, 2, 1]);
    expect(schedule.changesAt).toBe(300);
  });

  it("takes the oldest version while none has activated (a store restored with a future clock skew)", () => {
    const schedule = pepperSchedule([v(3, 900), v(2, 800)], 0);
    expect(schedule.current.version).toBe(2);
    expect(schedule.lookupOrder.map((p) => p.version)).toEqual([2, 3]);
    expect(schedule.changesAt).toBe(900);
  });

  it("refuses an empty list", () => {
    expect(() => pepperSchedule([], 0)).toThrow(RangeError);
  });
});
