import { describe, expect, it } from "vitest";
import { formatWindowMs, parseWindowMs } from "./rate-limit-window.js";

describe("parseWindowMs()", () => {
  it.each([
    ["100ms", 100],
    ["1500ms", 1_500],
    ["1s", 1_000],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["30d", 2_592_000_000],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseWindowMs(text)).toBe(ms);
  });

  it.each([
    [""],
    ["ms"],
    ["0ms"],
    ["0s"],
    ["1.5s"],
    ["-1s"],
    ["1 s"],
    ["1S"],
    ["1y"],
    ["s1"],
    ["12345678901ms"],
  ])("returns null for %j", (text) => {
    expect(parseWindowMs(text)).toBeNull();
  });
});

describe("formatWindowMs()", () => {
  it.each([
    [86_400_000, "1d"],
    [172_800_000, "2d"],
    [3_600_000, "1h"],
    [5_400_000, "90m"],
    [60_000, "1m"],
    [90_000, "90s"],
    [1_000, "1s"],
    [250, "250ms"],
    [1_500, "1500ms"],
  ])("writes %d ms as %s, which parseWindowMs() reads back", (ms, text) => {
    expect(formatWindowMs(ms)).toBe(text);
    expect(parseWindowMs(text)).toBe(ms);
  });
});
