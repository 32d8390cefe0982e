/**
 * The sliding window counter, the one definition of a rate limit decision that every `RateLimiter` backend
 * follows (the Redis backend's Lua script mirrors it line by line).
 *
 * Time is cut into fixed windows of `windowMs`; a limit keeps the count of the current window and of the one
 * before it. At `nowMs`, `elapsed = nowMs % windowMs` into the current window, the previous window's count is
 * weighted by the part of it a window ending now still covers:
 *
 *     estimate = previous * (1 - elapsed / windowMs) + current
 *
 * A charge of `cost` is allowed iff `estimate + cost <= limit`; then `remaining = max(0, floor(limit - estimate -
 * charged))` and `resetAt` is the end of the current window. Since `estimate >= current`, no fixed window ever
 * holds more than `limit`, and a full previous window keeps the next one shut at its start, so there is no 2x
 * burst at a window edge. In any span of L <= windowMs milliseconds at most `limit * (1 + max(0, L - 2) /
 * windowMs)` units are admitted: about `limit` across an edge, approaching 2x only when the previous window's
 * traffic sat at its very end (the counter assumes it was spread evenly).
 *
 * Everything is integer arithmetic, scaled by `windowMs` so no fraction is ever rounded: `limit * windowMs` must
 * stay a safe integer, which {@link assertSlidingWindowCharge} checks. Divisions use `x - x % m`, exact for
 * doubles in JavaScript and, with `math.fmod`, in Redis's Lua 5.1.
 */

/** What a backend stores for one limit: the current window's index and the counts of it and the one before. */
export interface SlidingWindowState {
  /** `floor(nowMs / windowMs)` of the window `current` counts. */
  windowIndex: number;
  current: number;
  previous: number;
}

/** One charge against one limit. All values are integers. */
export interface SlidingWindowCharge {
  /** Units allowed per window, at least 0 (0 refuses every charge of a positive cost). */
  limit: number;
  /** The window length, at least 1. */
  windowMs: number;
  /** Units this request spends, at least 0; a cost above `limit` is always refused. */
  cost: number;
  /** The caller's clock (epoch ms, at least 0). */
  nowMs: number;
}

/** The outcome of one charge against one limit. */
export interface SlidingWindowDecision {
  allowed: boolean;
  /** The state to store: rolled over to the current window, with `cost` added when it was charged. */
  state: SlidingWindowState;
  /** Units still available after this request; when nothing was charged, what a request could still spend. */
  remaining: number;
  /** The end of the current window (epoch ms): the counts roll over then. */
  resetAt: number;
}

/** Throws a RangeError unless `charge` holds integers in range and `limit * windowMs` is a safe integer. */
/** Largest `limit * windowMs` a sliding window can count exactly (the scaled sums stay below 2^53). */
export const MAX_LIMIT_WINDOW_PRODUCT = 2 ** 50;

export function assertSlidingWindowCharge(charge: SlidingWindowCharge): void {
  const { limit, windowMs, cost, nowMs } = charge;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`Expected limit to be a non-negative integer, got ${limit}.`);
  }
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`Expected windowMs to be a positive integer, got ${windowMs}.`);
  }
  if (!Number.isSafeInteger(cost) || cost < 0) {
    throw new RangeError(`Expected cost to be a non-negative integer, got ${cost}.`);
  }
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) {
    throw new RangeError(`Expected nowMs to be a non-negative integer, got ${nowMs}.`);
  }
  // The scaled sums below add a few multiples of limit * windowMs; keeping it under 2^50 keeps them exact.
  if (limit * windowMs > MAX_LIMIT_WINDOW_PRODUCT) {
    throw new RangeError(`Expected limit * windowMs to be at most 2^50, got ${limit} * ${windowMs}.`);
  }
}

/**
 * Decides one charge against one limit: rolls `state` (null when none is stored) over to the window of `nowMs`
 * and charges `cost` when the sliding estimate leaves room for it. A `state` from a later window than `nowMs`'s
 * (another node's clock runs ahead) is kept and read as at the start of its window, which counts the most.
 */
export function decideSlidingWindow(
  state: SlidingWindowState | null,
  charge: SlidingWindowCharge,
): SlidingWindowDecision {
  assertSlidingWindowCharge(charge);
  const { limit, windowMs, cost, nowMs } = charge;
  let elapsedMs = nowMs % windowMs;
  let windowIndex = (nowMs - elapsedMs) / windowMs;
  let current = 0;
  let previous = 0;
  if (state !== null) {
    if (state.windowIndex > windowIndex) {
      windowIndex = state.windowIndex;
      elapsedMs = 0;
      current = state.current;
      previous = state.previous;
    } else if (state.windowIndex === windowIndex) {
      current = state.current;
      previous = state.previous;
    } else if (state.windowIndex === windowIndex - 1) {
      previous = state.current;
    }
  }
  // estimate * windowMs, so the comparison and the floor below never round.
  const usedScaled = previous * (windowMs - elapsedMs) + current * windowMs;
  const capacityScaled = limit * windowMs;
  const allowed = cost <= limit && usedScaled + cost * windowMs <= capacityScaled;
  const charged = allowed ? cost : 0;
  const roomScaled = Math.max(0, capacityScaled - usedScaled - charged * windowMs);
  return {
    allowed,
    state: { windowIndex, current: current + charged, previous },
    remaining: (roomScaled - (roomScaled % windowMs)) / windowMs,
    resetAt: (windowIndex + 1) * windowMs,
  };
}

/** One limit of an all-or-nothing charge: its stored state (or null) and the charge. */
export interface SlidingWindowEntry {
  state: SlidingWindowState | null;
  charge: SlidingWindowCharge;
}

/**
 * Decides several limits all or nothing: each decision's `allowed` is that limit's own verdict, and only when
 * every limit allows is every one charged. Otherwise none is: each state is only rolled over and each
 * `remaining` is what is left without this request.
 */
export function decideSlidingWindows(entries: readonly SlidingWindowEntry[]): {
  allowed: boolean;
  decisions: SlidingWindowDecision[];
} {
  const decisions = entries.map((entry) => decideSlidingWindow(entry.state, entry.charge));
  if (decisions.every((decision) => decision.allowed)) return { allowed: true, decisions };
  return {
    allowed: false,
    decisions: entries.map((entry, index) => ({
      ...decideSlidingWindow(entry.state, { ...entry.charge, cost: 0 }),
      allowed: decisions[index]?.allowed ?? false,
    })),
  };
}
