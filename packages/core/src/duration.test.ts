import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDuration, type Duration, formatDuration, parseDuration, subtractDuration } from "./duration.js";

const DAY_MS = 86_400_000;
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

function duration(parts: Partial<Duration>): Duration {
  return { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, ...parts };
}

/** Any component value parseDuration accepts, zero half the time so that formatted text often fits. */
const component = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999 }));
/** Times from 1970 to 2100, where keys actually live. */
const instant = fc.integer({ min: 0, max: at("2100-01-01T00:00:00Z") });

/** Non-zero durations that parseDuration can produce. */
const anyDuration = fc
  .record({
    years: component,
    months: component,
    weeks: component,
    days: component,
    hours: component,
    minutes: component,
    seconds: component,
  })
  .filter((d) => Object.values(d).some((value) => value > 0));

/** Non-zero durations of fixed length: no years, no months. */
const fixedDuration = anyDuration
  .map((d) => ({ ...d, years: 0, months: 0 }))
  .filter((d) => Object.values(d).some((value) => value > 0));
const NOW = at("2026-05-01T12:00:00Z");

/** The furthest instant from the epoch a Date can hold. */
const MAX_TIME_MS = 8.64e15;

/** 00:00 UTC on the first of a month; setUTCFullYear, unlike Date.UTC, reads years 0-99 as written. */
function startOfMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 1);
  return date.getTime();
}

/** Any instant a Date can hold. */
const anyInstant = fc.integer({ min: -MAX_TIME_MS, max: MAX_TIME_MS });
/** Instants within four days of the start of a month, in years -9999 to 9999: where days go missing. */
const nearMonthStart = fc
  .record({
    year: fc.integer({ min: -9999, max: 9999 }),
    month: fc.integer({ min: 0, max: 11 }),
    offsetMs: fc.integer({ min: -4 * DAY_MS, max: 4 * DAY_MS }),
  })
  .map(({ year, month, offsetMs }) => startOfMonth(year, month) + offsetMs);
/** Two instants a <= b, often hours apart near a month's start, since close pairs are the ones a calendar rule reorders. */
const orderedInstants = fc
  .tuple(
    fc.oneof({ arbitrary: nearMonthStart, weight: 4 }, { arbitrary: anyInstant, weight: 1 }),
    fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 2 * DAY_MS }), weight: 3 },
      { arbitrary: fc.integer({ min: 0, max: 62 * DAY_MS }), weight: 1 },
      { arbitrary: fc.integer({ min: 0, max: 2 * MAX_TIME_MS }), weight: 1 },
    ),
  )
  .map(([a, gapMs]) => [a, Math.min(MAX_TIME_MS, a + gapMs)] as const);
/** Non-zero durations of realistic size, mostly calendar ones, beside the extreme ones of anyDuration. */
const policyDuration = fc
  .record({
    years: fc.integer({ min: 0, max: 5 }),
    months: fc.integer({ min: 0, max: 40 }),
    weeks: fc.integer({ min: 0, max: 3 }),
    days: fc.integer({ min: 0, max: 40 }),
    hours: fc.integer({ min: 0, max: 48 }),
    minutes: fc.integer({ min: 0, max: 90 }),
    seconds: fc.integer({ min: 0, max: 90 }),
  })
  .filter((d) => Object.values(d).some((value) => value > 0));
const everyDuration = fc.oneof(
  { arbitrary: policyDuration, weight: 3 },
  { arbitrary: anyDuration, weight: 1 },
);

describe("parseDuration()", () => {
  it("parses each component into its field", () => {
    expect(parseDuration("P90D")).toEqual(duration({ days: 90 }));
    expect(parseDuration("P1Y")).toEqual(duration({ years: 1 }));
    expect(parseDuration("P2W")).toEqual(duration({ weeks: 2 }));
    expect(parseDuration("PT12H")).toEqual(duration({ hours: 12 }));
    expect(parseDuration("P1DT2H30M")).toEqual(duration({ days: 1, hours: 2, minutes: 30 }));
    expect(parseDuration("P1Y6M")).toEqual(duration({ years: 1, months: 6 }));
    expect(parseDuration("PT45S")).toEqual(duration({ seconds: 45 }));
    expect(parseDuration("P1Y2M3W4DT5H6M7S")).toEqual(
      duration({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 }),
    );
  });

  it("tells months from minutes by the T", () => {
    expect(parseDuration("P1M")).toEqual(duration({ months: 1 }));
    expect(parseDuration("PT1M")).toEqual(duration({ minutes: 1 }));
    expect(parseDuration("P1MT1M")).toEqual(duration({ months: 1, minutes: 1 }));
  });

  it("accepts zero components beside a non-zero one, six digits, and exactly 40 characters", () => {
    expect(parseDuration("P0Y1D")).toEqual(duration({ days: 1 }));
    expect(parseDuration("P999999D")).toEqual(duration({ days: 999_999 }));
    expect(parseDuration("P000001D")).toEqual(duration({ days: 1 }));
    const forty = "P999999Y999999M999999W999999DT999H99M99S";
    expect(forty).toHaveLength(40);
    expect(parseDuration(forty)).not.toBeNull();
  });

  it("returns null for the empty string, P, PT and a trailing T", () => {
    for (const text of ["", "P", "PT", "P1DT", "T", "P1D T"]) {
      expect(parseDuration(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("returns null for the zero duration, however written", () => {
    for (const text of ["P0D", "PT0S", "P0Y", "P0Y0M0W0DT0H0M0S", "P000000D"]) {
      expect(parseDuration(text), text).toBeNull();
    }
  });

  it("returns null for negative, fractional, exponent and signed numbers", () => {
    for (const text of ["-P1D", "P-1D", "P+1D", "P1.5D", "P1,5D", "PT0.5S", "P1e3D", "P.5D", "P1.D"]) {
      expect(parseDuration(text), text).toBeNull();
    }
  });

  it("returns null for lowercase and spaces", () => {
    for (const text of ["p1d", "P1d", "Pt1H", "PT1h", " P1D", "P1D ", "P 1D", "P1 D", "P1D\n"]) {
      expect(parseDuration(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("returns null for components out of order, repeated, or in the wrong part", () => {
    for (const text of [
      "P1D1Y",
      "P1M1Y",
      "P1D1W",
      "P1D1D",
      "P1Y1Y",
      "PT1S1H",
      "PT1M1H",
      "PT1H1H",
      "P1DT1HT1M",
      "PTT1H",
      "P1H",
      "P1S",
      "PT1D",
      "PT1Y",
      "PT1W",
    ]) {
      expect(parseDuration(text), text).toBeNull();
    }
  });

  it("returns null for a number without a designator, a designator without a number, and stray characters", () => {
    for (const text of ["P1", "PD", "PT1", "PTH", "P1X", "P1D!", "1D", "D", "P1DX", "P１D", "P٣D"]) {
      expect(parseDuration(text), text).toBeNull();
    }
  });

  it("returns null for more than six digits in a component and more than 40 characters", () => {
    expect(parseDuration("P1000000D")).toBeNull();
    expect(parseDuration("P0000001D")).toBeNull();
    expect(parseDuration("PT1234567S")).toBeNull();
    const fortyOne = "P999999Y999999M999999W999999DT999H99M999S";
    expect(fortyOne).toHaveLength(41);
    expect(parseDuration(fortyOne)).toBeNull();
    expect(parseDuration(`P1D${"T".repeat(10_000)}`)).toBeNull();
  });

  it("returns null for values that are not strings without throwing", () => {
    for (const value of [null, undefined, 90, ["P1D"], { text: "P1D" }]) {
      expect(parseDuration(value as unknown as string)).toBeNull();
    }
  });

  it("never throws and only returns whole, bounded, non-zero durations on random input", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(..."PTYMWDHS0123456789.-, p"), maxLength: 45 }),
          fc.string(),
        ),
        (text) => {
          const parsed = parseDuration(text);
          if (parsed === null) return;
          const values = Object.values(parsed);
          expect(values.every((v) => Number.isInteger(v) && v >= 0 && v <= 999_999)).toBe(true);
          expect(values.some((v) => v > 0)).toBe(true);
        },
      ),
    );
  });
});

describe("formatDuration()", () => {
  it("writes only the non-zero components, in order", () => {
    expect(formatDuration(duration({ days: 90 }))).toBe("P90D");
    expect(formatDuration(duration({ hours: 12 }))).toBe("PT12H");
    expect(formatDuration(duration({ days: 1, hours: 2, minutes: 30 }))).toBe("P1DT2H30M");
    expect(formatDuration(duration({ months: 1, minutes: 1 }))).toBe("P1MT1M");
    expect(
      formatDuration(duration({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 })),
    ).toBe("P1Y2M3W4DT5H6M7S");
  });

  it("writes the zero duration as PT0S", () => {
    expect(formatDuration(duration({}))).toBe("PT0S");
  });

  it("round-trips canonical text through parseDuration()", () => {
    for (const text of [
      "P90D",
      "P1Y",
      "P2W",
      "PT12H",
      "P1DT2H30M",
      "P1Y6M",
      "PT1M",
      "P1M",
      "P1Y2M3W4DT5H6M7S",
    ]) {
      const parsed = parseDuration(text);
      expect(parsed, text).not.toBeNull();
      expect(formatDuration(parsed as Duration)).toBe(text);
    }
  });

  it("canonicalises non-canonical text: zero components and leading zeros drop out", () => {
    expect(formatDuration(parseDuration("P0Y1DT0H") as Duration)).toBe("P1D");
    expect(formatDuration(parseDuration("P007D") as Duration)).toBe("P7D");
  });

  it("parseDuration(formatDuration(d)) returns d for every non-zero duration that fits in 40 characters", () => {
    fc.assert(
      fc.property(anyDuration, (d) => {
        const text = formatDuration(d);
        fc.pre(text.length <= 40);
        expect(parseDuration(text)).toEqual(d);
      }),
    );
  });
});

describe("addDuration()", () => {
  it("adds days, weeks and time as fixed lengths", () => {
    expect(iso(addDuration(at("2026-03-01T10:00:00Z"), duration({ days: 90 })))).toBe(
      "2026-05-30T10:00:00.000Z",
    );
    expect(iso(addDuration(at("2026-12-25T00:00:00Z"), duration({ weeks: 2 })))).toBe(
      "2027-01-08T00:00:00.000Z",
    );
    expect(iso(addDuration(at("2026-01-01T23:30:00.250Z"), duration({ hours: 1 })))).toBe(
      "2026-01-02T00:30:00.250Z",
    );
    expect(
      iso(addDuration(at("2026-01-01T00:00:00Z"), duration({ days: 1, hours: 2, minutes: 30, seconds: 5 }))),
    ).toBe("2026-01-02T02:30:05.000Z");
  });

  it("counts February 29 in leap years when adding days", () => {
    expect(iso(addDuration(at("2024-02-28T12:00:00Z"), duration({ days: 1 })))).toBe(
      "2024-02-29T12:00:00.000Z",
    );
    expect(iso(addDuration(at("2023-02-28T12:00:00Z"), duration({ days: 1 })))).toBe(
      "2023-03-01T12:00:00.000Z",
    );
  });

  it("keeps the day of month and the time of day when the target month has that day", () => {
    expect(iso(addDuration(at("2026-01-15T10:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-02-15T10:00:00.000Z",
    );
    expect(iso(addDuration(at("2026-01-28T15:45:10.123Z"), duration({ months: 1 })))).toBe(
      "2026-02-28T15:45:10.123Z",
    );
    expect(iso(addDuration(at("2024-01-29T15:45:10.123Z"), duration({ months: 1 })))).toBe(
      "2024-02-29T15:45:10.123Z",
    );
  });

  it("turns a day the target month lacks into that month's last millisecond", () => {
    expect(iso(addDuration(at("2026-01-31T10:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2026-01-29T00:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2024-01-31T15:45:10.123Z"), duration({ months: 1 })))).toBe(
      "2024-02-29T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2026-03-31T00:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-04-30T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2026-08-31T08:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-09-30T23:59:59.999Z",
    );
  });

  it("never gives a later start an earlier result around a month end", () => {
    // Keeping the time of day on the clamped day would put Jan 30 23:00 + P1M (Feb 28 23:00) after
    // Jan 31 01:00 + P1M (Feb 28 01:00).
    const month = duration({ months: 1 });
    const starts = [
      "2026-01-28T23:00:00.000Z",
      "2026-01-30T23:00:00.000Z",
      "2026-01-31T01:00:00.000Z",
      "2026-01-31T23:59:59.999Z",
      "2026-02-01T00:00:00.000Z",
    ];
    expect(starts.map((start) => iso(addDuration(at(start), month)))).toEqual([
      "2026-02-28T23:00:00.000Z",
      "2026-02-28T23:59:59.999Z",
      "2026-02-28T23:59:59.999Z",
      "2026-02-28T23:59:59.999Z",
      "2026-03-01T00:00:00.000Z",
    ]);
  });

  it("does not carry a clamped day into the next month", () => {
    // Jan 31 + P1M + P1M is Mar 28 (at the end of the day), but Jan 31 + P2M is Mar 31: each call clamps once.
    const once = addDuration(at("2026-01-31T00:00:00Z"), duration({ months: 1 }));
    expect(iso(addDuration(once, duration({ months: 1 })))).toBe("2026-03-28T23:59:59.999Z");
    expect(iso(addDuration(at("2026-01-31T00:00:00Z"), duration({ months: 2 })))).toBe(
      "2026-03-31T00:00:00.000Z",
    );
  });

  it("moves P1Y from February 29 to the end of February 28, and P4Y to February 29 at the same time", () => {
    expect(iso(addDuration(at("2024-02-29T06:00:00Z"), duration({ years: 1 })))).toBe(
      "2025-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2028-02-29T12:00:00Z"), duration({ years: 1 })))).toBe(
      "2029-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2024-02-29T06:00:00Z"), duration({ years: 4 })))).toBe(
      "2028-02-29T06:00:00.000Z",
    );
    expect(iso(addDuration(at("2096-02-29T06:00:00Z"), duration({ years: 4 })))).toBe(
      "2100-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("1996-02-29T06:00:00Z"), duration({ years: 4 })))).toBe(
      "2000-02-29T06:00:00.000Z",
    );
  });

  it("carries months into years, across year ends", () => {
    expect(iso(addDuration(at("2026-11-30T00:00:00Z"), duration({ months: 3 })))).toBe(
      "2027-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("2026-12-15T00:00:00Z"), duration({ months: 13 })))).toBe(
      "2028-01-15T00:00:00.000Z",
    );
    expect(iso(addDuration(at("2026-07-15T00:00:00Z"), duration({ years: 1, months: 6 })))).toBe(
      "2028-01-15T00:00:00.000Z",
    );
  });

  it("applies months before days: Jan 31 + P1M1D is the end of Mar 1, not Mar 4", () => {
    expect(iso(addDuration(at("2026-01-31T00:00:00Z"), duration({ months: 1, days: 1 })))).toBe(
      "2026-03-01T23:59:59.999Z",
    );
  });

  it("agrees with a Date.UTC reference for calendar durations between 1970 and 2100", () => {
    // The same day and time of day in the month `months` away, or that month's last millisecond if it is shorter.
    const reference = (t: number, months: number): number => {
      const date = new Date(t);
      const firstOfMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
      const target = new Date(firstOfMonth);
      const firstOfNextMonth = Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 1);
      const lastDay = (firstOfNextMonth - firstOfMonth) / DAY_MS;
      if (date.getUTCDate() > lastDay) return firstOfNextMonth - 1;
      return firstOfMonth + (date.getUTCDate() - 1) * DAY_MS + (t % DAY_MS);
    };
    const calendar = fc.record({
      years: fc.integer({ min: 0, max: 50 }),
      months: fc.integer({ min: 0, max: 600 }),
    });
    fc.assert(
      fc.property(instant, calendar, (t, parts) => {
        const months = parts.years * 12 + parts.months;
        expect(addDuration(t, duration(parts))).toBe(reference(t, months));
        expect(subtractDuration(t, duration(parts))).toBe(reference(t, -months));
      }),
    );
  });

  it("works before the epoch and in years 0-99, which Date.UTC misreads", () => {
    expect(iso(addDuration(at("1969-12-31T23:00:00Z"), duration({ months: 2 })))).toBe(
      "1970-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("1969-12-31T23:00:00Z"), duration({ months: 3 })))).toBe(
      "1970-03-31T23:00:00.000Z",
    );
    expect(iso(addDuration(at("0050-01-31T00:00:00Z"), duration({ months: 1 })))).toBe(
      "0050-02-28T23:59:59.999Z",
    );
    expect(iso(addDuration(at("0003-02-28T00:00:00Z"), duration({ years: 1, days: 1 })))).toBe(
      "0004-02-29T00:00:00.000Z",
    );
  });

  it("saturates at the latest instant a Date can hold", () => {
    const latest = 8.64e15;
    expect(addDuration(NOW, duration({ years: 999_999 }))).toBe(latest);
    expect(addDuration(latest - 1000, duration({ seconds: 5 }))).toBe(latest);
    expect(() =>
      new Date(addDuration(NOW, duration({ years: 999_999, months: 999_999 }))).toISOString(),
    ).not.toThrow();
  });

  it("always moves later, for every duration", () => {
    fc.assert(fc.property(instant, anyDuration, (t, d) => addDuration(t, d) > t));
  });

  it("is strictly increasing in t for durations without years or months", () => {
    fc.assert(
      fc.property(instant, instant, fixedDuration, (a, b, d) => {
        fc.pre(a < b);
        expect(addDuration(a, d)).toBeLessThan(addDuration(b, d));
      }),
    );
  });

  it("is non-decreasing in t for every duration, years and months included, across the whole Date range", () => {
    fc.assert(
      fc.property(orderedInstants, everyDuration, ([a, b], d) => {
        expect(addDuration(a, d)).toBeLessThanOrEqual(addDuration(b, d));
      }),
      { numRuns: 2000 },
    );
  });

  it("is non-decreasing hour by hour across every month end of 2023 to 2025, as is subtractDuration()", () => {
    const durations = ["P1M", "P3M", "P1Y", "P1M1D", "P1Y2M3DT4H"].map(
      (text) => parseDuration(text) as Duration,
    );
    for (let month = 0; month < 36; month++) {
      const monthStart = startOfMonth(2023, month);
      for (const d of durations) {
        let previous = { added: -Infinity, subtracted: -Infinity };
        for (let t = monthStart - 4 * DAY_MS; t <= monthStart + DAY_MS; t += 3_600_000) {
          const current = { added: addDuration(t, d), subtracted: subtractDuration(t, d) };
          expect(current.added, `${iso(t)} + ${formatDuration(d)}`).toBeGreaterThanOrEqual(previous.added);
          expect(current.subtracted, `${iso(t)} - ${formatDuration(d)}`).toBeGreaterThanOrEqual(
            previous.subtracted,
          );
          previous = current;
        }
      }
    }
  });
});

describe("subtractDuration()", () => {
  it("goes back by days, weeks and time as fixed lengths", () => {
    expect(iso(subtractDuration(at("2026-05-30T10:00:00Z"), duration({ days: 90 })))).toBe(
      "2026-03-01T10:00:00.000Z",
    );
    expect(iso(subtractDuration(at("2026-01-01T00:30:00Z"), duration({ hours: 1 })))).toBe(
      "2025-12-31T23:30:00.000Z",
    );
    expect(iso(subtractDuration(at("2024-03-01T00:00:00Z"), duration({ days: 1 })))).toBe(
      "2024-02-29T00:00:00.000Z",
    );
  });

  it("turns a day the earlier month lacks into that month's last millisecond, and keeps days that exist", () => {
    expect(iso(subtractDuration(at("2026-05-31T10:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-04-30T23:59:59.999Z",
    );
    expect(iso(subtractDuration(at("2026-03-31T12:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-02-28T23:59:59.999Z",
    );
    expect(iso(subtractDuration(at("2026-03-29T00:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-02-28T23:59:59.999Z",
    );
    expect(iso(subtractDuration(at("2026-03-28T12:00:00Z"), duration({ months: 1 })))).toBe(
      "2026-02-28T12:00:00.000Z",
    );
    expect(iso(subtractDuration(at("2024-03-31T12:00:00Z"), duration({ months: 1 })))).toBe(
      "2024-02-29T23:59:59.999Z",
    );
    expect(iso(subtractDuration(at("2025-02-28T06:00:00Z"), duration({ years: 1 })))).toBe(
      "2024-02-28T06:00:00.000Z",
    );
    expect(iso(subtractDuration(at("2028-02-29T06:00:00Z"), duration({ years: 1 })))).toBe(
      "2027-02-28T23:59:59.999Z",
    );
    expect(iso(subtractDuration(at("2026-01-15T00:00:00Z"), duration({ months: 13 })))).toBe(
      "2024-12-15T00:00:00.000Z",
    );
  });

  it("applies months before days: Mar 31 - P1M1D is the end of Feb 27", () => {
    expect(iso(subtractDuration(at("2026-03-31T00:00:00Z"), duration({ months: 1, days: 1 })))).toBe(
      "2026-02-27T23:59:59.999Z",
    );
  });

  it("never gives a later instant an earlier result around a month end", () => {
    const month = duration({ months: 1 });
    const instants = [
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T00:00:00.000Z",
      "2026-03-31T10:00:00.000Z",
      "2026-03-31T23:59:59.999Z",
      "2026-04-01T00:00:00.000Z",
    ];
    expect(instants.map((t) => iso(subtractDuration(at(t), month)))).toEqual([
      "2026-02-28T23:00:00.000Z",
      "2026-02-28T23:59:59.999Z",
      "2026-02-28T23:59:59.999Z",
      "2026-02-28T23:59:59.999Z",
      "2026-03-01T00:00:00.000Z",
    ]);
  });

  it("saturates at the earliest instant a Date can hold", () => {
    expect(subtractDuration(0, duration({ years: 999_999 }))).toBe(-8.64e15);
  });

  it("always moves earlier, for every duration", () => {
    fc.assert(fc.property(instant, anyDuration, (t, d) => subtractDuration(t, d) < t));
  });

  it("is non-decreasing in t for every duration, years and months included, across the whole Date range", () => {
    fc.assert(
      fc.property(orderedInstants, everyDuration, ([a, b], d) => {
        expect(subtractDuration(a, d)).toBeLessThanOrEqual(subtractDuration(b, d));
      }),
      { numRuns: 2000 },
    );
  });

  it("is undone by addDuration() for durations without years or months", () => {
    fc.assert(
      fc.property(instant, fixedDuration, (t, d) => {
        expect(addDuration(subtractDuration(t, d), d)).toBe(t);
        expect(subtractDuration(addDuration(t, d), d)).toBe(t);
      }),
    );
  });
});
