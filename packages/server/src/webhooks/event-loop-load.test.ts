import type { EventLoopUtilization } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { createEventLoopLoadProbe } from "./event-loop-load.js";

/** A fake event loop whose busy and idle time the test advances. */
function fakeLoop() {
  let active = 0;
  let idle = 0;
  let now = 0;
  const sample = (current?: EventLoopUtilization, previous?: EventLoopUtilization): EventLoopUtilization => {
    if (current !== undefined && previous !== undefined) {
      const a = current.active - previous.active;
      const i = current.idle - previous.idle;
      return { active: a, idle: i, utilization: a + i === 0 ? 0 : a / (a + i) };
    }
    return { active, idle, utilization: active + idle === 0 ? 0 : active / (active + idle) };
  };
  return {
    sample,
    nowMs: () => now,
    spend(activeMs: number, idleMs: number) {
      active += activeMs;
      idle += idleMs;
      now += activeMs + idleMs;
    },
  };
}

describe("createEventLoopLoadProbe()", () => {
  it("is busy once a whole window was at least `threshold` busy, and idle again after a quiet window", () => {
    const loop = fakeLoop();
    const isBusy = createEventLoopLoadProbe({ threshold: 0.9, windowMs: 250, ...loop });
    expect(isBusy()).toBe(false);
    loop.spend(240, 10);
    expect(isBusy()).toBe(true);
    loop.spend(100, 0);
    // The window is not over: the last verdict stands.
    expect(isBusy()).toBe(true);
    loop.spend(50, 200);
    expect(isBusy()).toBe(false);
  });

  it("is not busy just below the threshold", () => {
    const loop = fakeLoop();
    const isBusy = createEventLoopLoadProbe({ threshold: 0.9, windowMs: 100, ...loop });
    loop.spend(89, 11);
    expect(isBusy()).toBe(false);
    loop.spend(90, 10);
    expect(isBusy()).toBe(true);
  });
});
