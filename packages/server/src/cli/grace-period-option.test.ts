import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { gracePeriodOption } from "./grace-period-option.js";

describe("gracePeriodOption()", () => {
  it.each([
    ["0", 0],
    ["30s", 30],
    ["15m", 900],
    ["2h", 7_200],
    ["7d", 604_800],
    ["1w", 604_800],
    ["30d", 2_592_000],
    [" 2h ", 7_200],
  ])("reads %j as %d seconds", (text, seconds) => {
    expect(gracePeriodOption(text)).toBe(seconds);
  });

  it.each([["31d"], ["5w"], ["721h"], ["43201m"]])("refuses %j as longer than 30 days", (text) => {
    expect(() => gracePeriodOption(text)).toThrow("at most 30 days");
  });

  it.each([[""], ["soon"], ["-1h"], ["1.5h"], ["0h"], ["PT2H"], ["2"]])(
    "refuses %j as not a duration",
    (text) => {
      expect(() => gracePeriodOption(text)).toThrow(InvalidArgumentError);
      expect(() => gracePeriodOption(text)).toThrow("Expected a duration");
    },
  );
});
