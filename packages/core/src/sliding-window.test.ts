import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decideSlidingWindow,
  decideSlidingWindows,
  type SlidingWindowCharge,
  type SlidingWindowState,
} from "./sliding-window.js";

const WINDOW_MS = 1_000;
/** A window boundary: 1_800_000_000 windows of a second since the epoch. */
const T0 = 1_800_000_000_000;
const K = T0 / WINDOW_MS;

function charge(overrides: Partial<SlidingWindowCharge> = {}): SlidingWindowCharge {
  return { limit: 10, windowMs: WINDOW_MS, cost: 1, nowMs: T0, ...overrides };
}

function full(windowIndex = K): SlidingWindowState {
  return { windowIndex, current: 10, previous: 0 };
}

describe("decideSlidingWindow()", () => {
  it("starts a fresh window when no state is stored and charges the cost", () => {
    expect(decideSlidingWindow(null, charge({ nowMs: T0 + 250, cost: 3 }))).toEqual({
      allowed: true,
      state: { windowIndex: K, current: 3, previous: 0 },
      remaining: 7,
      resetAt: T0 + WINDOW_MS,
    });
  });

  it("allows up to exactly limit in one window and refuses the next unit without charging it", () => {
    const almost = { windowIndex: K, current: 9, previous: 0 };
    expect(decideSlidingWindow(almost, charge({ nowMs: T0 + 999 }))).toMatchObject({
      allowed: true,
      state: { current: 10 },
      remaining: 0,
    });
    expect(decideSlidingWindow(full(), charge({ nowMs: T0 + 999 }))).toEqual({
      allowed: false,
      state: full(),
      remaining: 0,
      resetAt: T0 + WINDOW_MS,
    });
  });

  it("always refuses a cost above the limit, and reports what a smaller request could still spend", () => {
    expect(decideSlidingWindow(null, charge({ cost: 11 }))).toMatchObject({ allowed: false, remaining: 10 });
    expect(decideSlidingWindow(null, charge({ limit: 0, cost: 1 }))).toMatchObject({
      allowed: false,
      remaining: 0,
    });
  });

  it("allows a cost of 0 while the estimate is within the limit, charging nothing", () => {
    expect(decideSlidingWindow(full(), charge({ cost: 0 }))).toMatchObject({ allowed: true, state: full() });
  });

  it("weights the previous window by the part of it a window ending now still covers", () => {
    // previous = 10 at elapsed 500: estimate 5, so 5 more fit and remaining is 0 after a cost of 5.
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 + 500, cost: 5 }))).toEqual({
      allowed: true,
      state: { windowIndex: K, current: 5, previous: 10 },
      remaining: 0,
      resetAt: T0 + WINDOW_MS,
    });
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 + 500, cost: 6 }))).toMatchObject({
      allowed: false,
      remaining: 5,
    });
    // At elapsed 499 the estimate is 5.01: a cost of 5 no longer fits, 4 does and leaves floor(0.99) = 0.
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 + 499, cost: 5 })).allowed).toBe(false);
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 + 499, cost: 4 }))).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });

  it("keeps a full previous window shut until enough of it has slid out (±1 ms)", () => {
    // estimate = 10 - elapsed / 100: a unit fits from elapsed 100 on.
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 })).allowed).toBe(false);
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 + 99 })).allowed).toBe(false);
    expect(decideSlidingWindow(full(K - 1), charge({ nowMs: T0 + 100 })).allowed).toBe(true);
  });

  it("rolls over: one window later the current count becomes the previous, two or more later both are 0", () => {
    const state = { windowIndex: K - 1, current: 4, previous: 9 };
    expect(decideSlidingWindow(state, charge({ nowMs: T0, cost: 0 })).state).toEqual({
      windowIndex: K,
      current: 0,
      previous: 4,
    });
    for (const later of [2, 3, 1_000]) {
      const decision = decideSlidingWindow(state, charge({ nowMs: T0 + (later - 1) * WINDOW_MS, cost: 0 }));
      expect(decision.state).toEqual({ windowIndex: K + later - 1, current: 0, previous: 0 });
      expect(decision.remaining).toBe(10);
    }
  });

  it("is free two windows later but not one millisecond earlier", () => {
    expect(decideSlidingWindow(full(K), charge({ nowMs: T0 + 2 * WINDOW_MS, cost: 10 })).allowed).toBe(true);
    // At T0 + 1999 the estimate is 10 * 1/1000 = 0.01, so only 9 fit.
    expect(decideSlidingWindow(full(K), charge({ nowMs: T0 + 1_999, cost: 10 })).allowed).toBe(false);
    expect(decideSlidingWindow(full(K), charge({ nowMs: T0 + 1_999, cost: 9 })).allowed).toBe(true);
  });

  it("reads a state from a later window (a clock behind) as at the start of that window", () => {
    const ahead = { windowIndex: K + 1, current: 3, previous: 10 };
    expect(decideSlidingWindow(ahead, charge({ nowMs: T0 + 500 }))).toEqual({
      allowed: false,
      state: ahead,
      remaining: 0,
      resetAt: T0 + 2 * WINDOW_MS,
    });
  });

  it("refuses inputs that are not integers in range", () => {
    for (const bad of [
      { limit: -1 },
      { limit: 1.5 },
      { windowMs: 0 },
      { windowMs: Number.NaN },
      { cost: -1 },
      { cost: 0.5 },
      { nowMs: -1 },
      { nowMs: T0 + 0.5 },
      { limit: 2 ** 30, windowMs: 2 ** 21 },
    ]) {
      expect(() => decideSlidingWindow(null, charge(bad)), JSON.stringify(bad)).toThrow(RangeError);
    }
  });

  it("agrees with estimate = previous * (1 - elapsed / windowMs) + current computed exactly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 10 ** 13 }),
        (limit, windowMs, previous, current, cost, nowMs) => {
          const windowIndex = Math.floor(nowMs / windowMs);
          const decision = decideSlidingWindow(
            { windowIndex, current, previous },
            { limit, windowMs, cost, nowMs },
          );
          // Exact rationals: estimate = (previous * (windowMs - elapsed) + current * windowMs) / windowMs.
          const w = BigInt(windowMs);
          const elapsed = BigInt(nowMs) % w;
          const estimateScaled = BigInt(previous) * (w - elapsed) + BigInt(current) * w;
          const allowed = estimateScaled + BigInt(cost) * w <= BigInt(limit) * w;
          const room = BigInt(limit) * w - estimateScaled - (allowed ? BigInt(cost) * w : 0n);
          expect(decision.allowed).toBe(allowed);
          expect(decision.remaining).toBe(room <= 0n ? 0 : Number(room / w));
          expect(decision.resetAt).toBe((windowIndex + 1) * windowMs);
          expect(decision.state.current).toBe(current + (allowed ? cost : 0));
        },
      ),
    );
  });

  it("never admits more than limit in a fixed window, nor limit * (1 + (L - 2) / windowMs) in any L ms", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 400 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_600 }), fc.integer({ min: 1, max: 4 })), {
          maxLength: 80,
        }),
        (limit, windowMs, requests) => {
          const sorted = [...requests].sort((a, b) => a[0] - b[0]);
          let state: SlidingWindowState | null = null;
          const admitted: Array<[number, number]> = [];
          for (const [offset, cost] of sorted) {
            const decision = decideSlidingWindow(state, { limit, windowMs, cost, nowMs: T0 + offset });
            state = decision.state;
            if (decision.allowed) admitted.push([offset, cost]);
          }
          for (let i = 0; i < admitted.length; i++) {
            let sum = 0;
            for (let j = i; j < admitted.length; j++) {
              const [start] = admitted[i] as [number, number];
              const [at, cost] = admitted[j] as [number, number];
              const spanMs = at - start + 1;
              if (spanMs > windowMs) break;
              sum += cost;
              expect(sum * windowMs).toBeLessThanOrEqual(limit * (windowMs + Math.max(0, spanMs - 2)));
              if (Math.floor((T0 + start) / windowMs) === Math.floor((T0 + at) / windowMs)) {
                expect(sum).toBeLessThanOrEqual(limit);
              }
            }
          }
        },
      ),
    );
  });
});

describe("decideSlidingWindows()", () => {
  const roomy = { state: null, charge: charge({ limit: 5 }) };
  const tight = { state: { windowIndex: K, current: 2, previous: 0 }, charge: charge({ limit: 2 }) };

  it("charges every limit when all allow", () => {
    const result = decideSlidingWindows([roomy, { ...tight, charge: charge({ limit: 3 }) }]);
    expect(result.allowed).toBe(true);
    expect(result.decisions.map((d) => [d.allowed, d.state.current, d.remaining])).toEqual([
      [true, 1, 4],
      [true, 3, 0],
    ]);
  });

  it("charges none when one refuses, and reports each limit's own verdict and untouched room", () => {
    const result = decideSlidingWindows([roomy, tight]);
    expect(result.allowed).toBe(false);
    expect(result.decisions.map((d) => [d.allowed, d.state.current, d.remaining])).toEqual([
      [true, 0, 5],
      [false, 2, 0],
    ]);
  });

  it("allows an empty list", () => {
    expect(decideSlidingWindows([])).toEqual({ allowed: true, decisions: [] });
  });
});
