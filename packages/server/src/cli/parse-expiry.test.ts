import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { parseExpiry } from "./parse-expiry.js";

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);

describe("parseExpiry()", () => {
  it("counts a duration from now", () => {
    expect(parseExpiry("30d", NOW)).toBe("2026-12-28T09:00:00.000Z");
    expect(parseExpiry("2h", NOW)).toBe("2026-11-28T11:00:00.000Z");
    expect(parseExpiry("45s", NOW)).toBe("2026-11-28T09:00:45.000Z");
  });

  it("reads ISO 8601 dates and date-times, a bare date as midnight UTC", () => {
    expect(parseExpiry("2027-01-31", NOW)).toBe("2027-01-31T00:00:00.000Z");
    expect(parseExpiry("2027-01-31T12:30:00Z", NOW)).toBe("2027-01-31T12:30:00.000Z");
    expect(parseExpiry("2027-01-31T12:30:00+02:00", NOW)).toBe("2027-01-31T10:30:00.000Z");
  });

  it("keeps a date in the past: the server decides whether it may be used", () => {
    expect(parseExpiry("2000-01-01T00:00:00Z", NOW)).toBe("2000-01-01T00:00:00.000Z");
  });

  it("reads never as null", () => {
    expect(parseExpiry("never", NOW)).toBeNull();
  });

  it.each([["tomorrow"], ["30"], ["March 7"], ["2027-13-01"], ["2027-01-31 12:00"], ["1"], [""]])(
    "refuses %j with commander's InvalidArgumentError",
    (text) => {
      expect(() => parseExpiry(text, NOW)).toThrow(InvalidArgumentError);
      expect(() => parseExpiry(text, NOW)).toThrow("Expected a duration");
    },
  );

  it("refuses an expiry past the year 9999", () => {
    expect(() => parseExpiry("999999w", NOW)).toThrow("before the year 10000");
  });
});
