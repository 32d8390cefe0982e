import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE, nextAttemptAt, type RetrySchedule } from "./retry-schedule.js";

const NOW = Date.parse("2026-11-28T09:00:00.000Z");
const FAR_FUTURE = NOW + 10 * DEFAULT_RETRY_SCHEDULE.giveUpAfterMs;
const JUST_BELOW_ONE = 1 - Number.EPSILON / 2;

function delayFor(attempt: number, random: number, schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE): number {
  const at = nextAttemptAt({ attempt, nowMs: NOW, giveUpAtMs: FAR_FUTURE, schedule, random: () => random });
  if (at === null) throw new Error("expected a next attempt");
  return at - NOW;
}

describe("nextAttemptAt()", () => {
  it("waits half the base delay when random() is 0, so a retry is never immediate", () => {
    expect([1, 2, 3, 4].map((attempt) => delayFor(attempt, 0))).toEqual([2_500, 5_000, 10_000, 20_000]);
  });

  it("waits just under the base delay when random() is just under 1", () => {
    expect([1, 2, 3, 4].map((attempt) => delayFor(attempt, JUST_BELOW_ONE))).toEqual([
      4_999, 9_999, 19_999, 39_999,
    ]);
  });

  it("doubles the base delay with each attempt until it reaches maxDelayMs", () => {
    const medians = Array.from({ length: 14 }, (_, i) => delayFor(i + 1, 0.5));
    for (let i = 1; i < medians.length; i++) {
      expect(medians[i]).toBeGreaterThanOrEqual(medians[i - 1] ?? Number.POSITIVE_INFINITY);
    }
    expect(medians.slice(0, 3)).toEqual([3_750, 7_500, 15_000]);
    // 5 s * 2^10 is past an hour, so from attempt 11 on the base is capped at maxDelayMs.
    expect(new Set(medians.slice(10))).toEqual(new Set([2_700_000]));
  });

  it("keeps every delay within [base/2, base) for any random() value", () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const base = Math.min(
        DEFAULT_RETRY_SCHEDULE.maxDelayMs,
        DEFAULT_RETRY_SCHEDULE.firstDelayMs * 2 ** (attempt - 1),
      );
      for (const random of [0, 0.001, 0.25, 0.5, 0.75, 0.999, JUST_BELOW_ONE]) {
        const delay = delayFor(attempt, random);
        expect(delay).toBeGreaterThanOrEqual(base / 2);
        expect(delay).toBeLessThan(base);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  for (const attempt of [64, 1_100, 1_000_000, Number.MAX_SAFE_INTEGER]) {
    it(`stays at maxDelayMs instead of overflowing at attempt ${attempt}`, () => {
      expect(delayFor(attempt, 0)).toBe(1_800_000);
      expect(delayFor(attempt, JUST_BELOW_ONE)).toBe(3_599_999);
    });
  }

  it("does not overflow with a zero firstDelayMs either", () => {
    expect(delayFor(2_000, 0.5, { firstDelayMs: 0, maxDelayMs: 1_000, giveUpAfterMs: 10_000 })).toBe(0);
  });

  it("stays within [base/2, base) in whole milliseconds when the base is odd", () => {
    const schedule = { firstDelayMs: 5, maxDelayMs: 1_000, giveUpAfterMs: 60_000 };
    expect(delayFor(1, 0, schedule)).toBe(3);
    expect(delayFor(1, JUST_BELOW_ONE, schedule)).toBe(4);
  });

  it("follows a custom schedule", () => {
    const schedule = { firstDelayMs: 100, maxDelayMs: 1_000, giveUpAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => delayFor(attempt, 0, schedule))).toEqual([
      50, 100, 200, 400, 500,
    ]);
  });

  it("returns the next attempt when it falls exactly on giveUpAtMs", () => {
    const input = { attempt: 1, nowMs: NOW, schedule: DEFAULT_RETRY_SCHEDULE, random: () => 0 };
    expect(nextAttemptAt({ ...input, giveUpAtMs: NOW + 2_500 })).toBe(NOW + 2_500);
  });

  it("returns null when the next attempt would fall after giveUpAtMs", () => {
    const input = { attempt: 1, nowMs: NOW, schedule: DEFAULT_RETRY_SCHEDULE, random: () => 0 };
    expect(nextAttemptAt({ ...input, giveUpAtMs: NOW + 2_499 })).toBeNull();
    expect(nextAttemptAt({ ...input, giveUpAtMs: NOW - 1 })).toBeNull();
  });

  it("gives up after a day of retries with the default schedule", () => {
    const createdAt = NOW;
    const giveUpAtMs = createdAt + DEFAULT_RETRY_SCHEDULE.giveUpAfterMs;
    let now = createdAt;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt({
        attempt: attempts,
        nowMs: now,
        giveUpAtMs,
        schedule: DEFAULT_RETRY_SCHEDULE,
        random: () => 0.5,
      });
      if (next === null) break;
      expect(next).toBeGreaterThan(now);
      now = next;
      attempts += 1;
    }
    expect(now).toBeLessThanOrEqual(giveUpAtMs);
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(50);
  });

  for (const attempt of [0, -1, 1.5, Number.NaN]) {
    it(`refuses attempt ${attempt}, since it counts attempts already made`, () => {
      expect(() =>
        nextAttemptAt({
          attempt,
          nowMs: NOW,
          giveUpAtMs: FAR_FUTURE,
          schedule: DEFAULT_RETRY_SCHEDULE,
          random: Math.random,
        }),
      ).toThrow(RangeError);
    });
  }
});
