import { describe, expect, it } from "vitest";
import { sparkline } from "./sparkline.js";

describe("sparkline()", () => {
  it("draws one block per value, ▁ only for zero and █ for the largest", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([0, 1, 1000])).toBe("▁▂█");
    expect(sparkline([5, 5])).toBe("██");
  });

  it("draws a flat line for no values, all zeros, or values that are not counts", () => {
    expect(sparkline([])).toBe("");
    expect(sparkline([0, 0, 0])).toBe("▁▁▁");
    expect(sparkline([-3, Number.NaN, 0])).toBe("▁▁▁");
  });
});
