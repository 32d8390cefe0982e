import { describe, expect, it } from "vitest";
import { isValidTimeZone, latestRefillBoundary, nextRefillBoundary } from "./refill-schedule.js";

const at = (iso: string) => Date.parse(iso);

describe("latestRefillBoundary()", () => {
  it("is UTC midnight for a daily refill in UTC, and stays there until the next midnight", () => {
    expect(latestRefillBoundary(at("2026-11-28T13:45:00Z"), "day", "UTC")).toBe(at("2026-11-28T00:00:00Z"));
    expect(latestRefillBoundary(at("2026-11-28T00:00:00Z"), "day", "UTC")).toBe(at("2026-11-28T00:00:00Z"));
    expect(latestRefillBoundary(at("2026-11-28T23:59:59.999Z"), "day", "UTC")).toBe(
      at("2026-11-28T00:00:00Z"),
    );
  });

  it("is the first of the month for a monthly refill", () => {
    expect(latestRefillBoundary(at("2026-11-28T13:45:00Z"), "month", "UTC")).toBe(at("2026-11-01T00:00:00Z"));
    expect(latestRefillBoundary(at("2026-12-01T00:00:00Z") - 1, "month", "UTC")).toBe(
      at("2026-11-01T00:00:00Z"),
    );
    expect(latestRefillBoundary(at("2026-12-01T00:00:00Z"), "month", "UTC")).toBe(at("2026-12-01T00:00:00Z"));
  });

  it("uses local midnight of the project's time zone, including half-hour and 45-minute offsets", () => {
    // Paris is UTC+1 in November: local midnight of Nov 28 is 23:00 UTC on Nov 27.
    expect(latestRefillBoundary(at("2026-11-28T10:00:00Z"), "day", "Europe/Paris")).toBe(
      at("2026-11-27T23:00:00Z"),
    );
    expect(latestRefillBoundary(at("2026-11-27T22:59:59Z"), "day", "Europe/Paris")).toBe(
      at("2026-11-26T23:00:00Z"),
    );
    expect(latestRefillBoundary(at("2026-11-28T10:00:00Z"), "day", "Asia/Kolkata")).toBe(
      at("2026-11-27T18:30:00Z"),
    );
    expect(latestRefillBoundary(at("2026-11-28T10:00:00Z"), "month", "Pacific/Chatham")).toBe(
      at("2026-10-31T10:15:00Z"),
    );
  });

  it("follows daylight saving time changes", () => {
    // New York: DST ends 2026-11-01 at 02:00 local (06:00 UTC); Nov 1 starts at 04:00 UTC (EDT), Nov 2 at 05:00 UTC.
    expect(latestRefillBoundary(at("2026-11-01T12:00:00Z"), "day", "America/New_York")).toBe(
      at("2026-11-01T04:00:00Z"),
    );
    expect(latestRefillBoundary(at("2026-11-02T12:00:00Z"), "day", "America/New_York")).toBe(
      at("2026-11-02T05:00:00Z"),
    );
    // DST starts 2026-03-08: the day starts at 05:00 UTC (EST), the next at 04:00 UTC (EDT).
    expect(latestRefillBoundary(at("2026-03-08T12:00:00Z"), "day", "America/New_York")).toBe(
      at("2026-03-08T05:00:00Z"),
    );
    expect(latestRefillBoundary(at("2026-03-09T12:00:00Z"), "day", "America/New_York")).toBe(
      at("2026-03-09T04:00:00Z"),
    );
  });

  it("starts a day whose midnight does not exist at the first instant that does", () => {
    // Havana moved clocks from 00:00 to 01:00 on 2026-03-08 (CST -5 to CDT -4): the day starts at 01:00 local.
    const boundary = latestRefillBoundary(at("2026-03-08T12:00:00Z"), "day", "America/Havana");
    expect(boundary).toBeLessThanOrEqual(at("2026-03-08T12:00:00Z"));
    expect(boundary).toBeGreaterThan(at("2026-03-07T12:00:00Z"));
    expect(new Intl.DateTimeFormat("en-CA", { timeZone: "America/Havana" }).format(boundary)).toBe(
      "2026-03-08",
    );
  });
});

describe("nextRefillBoundary()", () => {
  it("is the next local midnight, or the first of the next month", () => {
    expect(nextRefillBoundary(at("2026-11-28T13:45:00Z"), "day", "UTC")).toBe(at("2026-11-29T00:00:00Z"));
    expect(nextRefillBoundary(at("2026-12-31T13:45:00Z"), "day", "UTC")).toBe(at("2027-01-01T00:00:00Z"));
    expect(nextRefillBoundary(at("2026-12-15T13:45:00Z"), "month", "UTC")).toBe(at("2027-01-01T00:00:00Z"));
    expect(nextRefillBoundary(at("2026-11-28T10:00:00Z"), "day", "Europe/Paris")).toBe(
      at("2026-11-28T23:00:00Z"),
    );
  });
});

describe("isValidTimeZone()", () => {
  it("accepts IANA names and refuses anything else", () => {
    expect(isValidTimeZone("UTC")).toBe(true);
    expect(isValidTimeZone("Europe/Paris")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
    expect(isValidTimeZone("x".repeat(65))).toBe(false);
  });
});

describe("latestRefillBoundary() reuse", () => {
  it("answers the same across a period and moves on exactly at the next boundary, back and forth", () => {
    const midnight = at("2026-11-29T00:00:00Z");
    expect(latestRefillBoundary(midnight - 1, "day", "UTC")).toBe(at("2026-11-28T00:00:00Z"));
    expect(latestRefillBoundary(midnight, "day", "UTC")).toBe(midnight);
    expect(latestRefillBoundary(midnight - 1, "day", "UTC")).toBe(at("2026-11-28T00:00:00Z"));
    expect(latestRefillBoundary(midnight + 5, "day", "UTC")).toBe(midnight);
  });
});
