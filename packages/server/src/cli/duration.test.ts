import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

describe("parseDuration()", () => {
  it.each([
    ["45s", 45_000],
    ["15m", 15 * 60_000],
    ["2h", 2 * 3_600_000],
    ["30d", 30 * 86_400_000],
    ["1w", 604_800_000],
    ["007m", 7 * 60_000],
    ["999999w", 999_999 * 604_800_000],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    [""],
    ["d"],
    ["30"],
    ["0d"],
    ["-1d"],
    ["1.5h"],
    ["30D"],
    ["30 d"],
    [" 30d"],
    ["1y"],
    ["1e3s"],
    ["1000000w"],
    ["2026-01-01"],
  ])("returns null for %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
