import { describe, expect, it } from "vitest";
import { DEFAULT_SOURCE_HISTORY, isNewSourceSuspicious } from "./source-history.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");
const HOUR_MS = 3_600_000;

describe("isNewSourceSuspicious()", () => {
  const cases: {
    name: string;
    knownNetworks: number;
    keyFirstSeenAt: number | null;
    seenAtMs: number;
    expected: boolean;
  }[] = [
    { name: "a key's first network", knownNetworks: 0, keyFirstSeenAt: null, seenAtMs: T0, expected: false },
    {
      name: "a second network within the first hour",
      knownNetworks: 1,
      keyFirstSeenAt: T0,
      seenAtMs: T0 + HOUR_MS - 1,
      expected: false,
    },
    {
      name: "a second network an hour after the first",
      knownNetworks: 1,
      keyFirstSeenAt: T0,
      seenAtMs: T0 + HOUR_MS,
      expected: true,
    },
    {
      name: "a new network of a key with many, days old",
      knownNetworks: 12,
      keyFirstSeenAt: T0,
      seenAtMs: T0 + 72 * HOUR_MS,
      expected: true,
    },
    {
      name: "an inconsistent history (a count but no first time)",
      knownNetworks: 3,
      keyFirstSeenAt: null,
      seenAtMs: T0,
      expected: false,
    },
  ];
  for (const c of cases) {
    it(`${c.expected ? "flags" : "does not flag"} ${c.name}`, () => {
      expect(isNewSourceSuspicious(c)).toBe(c.expected);
    });
  }

  it("applies the thresholds given: a longer history, more networks", () => {
    const history = { knownNetworks: 1, keyFirstSeenAt: T0, seenAtMs: T0 + 2 * HOUR_MS };
    expect(isNewSourceSuspicious(history, { ...DEFAULT_SOURCE_HISTORY, minHistoryMs: 3 * HOUR_MS })).toBe(
      false,
    );
    expect(isNewSourceSuspicious(history, { ...DEFAULT_SOURCE_HISTORY, minKnownNetworks: 2 })).toBe(false);
    expect(isNewSourceSuspicious(history, { minHistoryMs: 0, minKnownNetworks: 0 })).toBe(true);
  });
});
