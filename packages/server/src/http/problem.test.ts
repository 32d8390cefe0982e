import { KeywardError } from "@keyward/core/keyward-error.js";
import { describe, expect, it } from "vitest";
import { retryAfterSeconds } from "./problem.js";

describe("retryAfterSeconds()", () => {
  it("rounds the wait up to whole seconds, so a client never retries early", () => {
    const after = (ms: number) =>
      retryAfterSeconds(new KeywardError("TOO_MANY_FAILED_VERIFICATIONS", undefined, { retryAfterMs: ms }));
    expect([1, 999, 1_000, 1_001, 58_500, 60_000].map(after)).toEqual([1, 1, 1, 2, 59, 60]);
    expect(after(0)).toBe(0);
  });

  it("is undefined for errors that do not say how long to wait", () => {
    expect(retryAfterSeconds(new KeywardError("RATE_LIMITER_UNAVAILABLE"))).toBeUndefined();
    expect(retryAfterSeconds(new Error("boom"))).toBeUndefined();
    expect(retryAfterSeconds({ retryAfterMs: 5_000 })).toBeUndefined();
  });
});
