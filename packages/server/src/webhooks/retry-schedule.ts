/** How long to wait between delivery attempts, and when to stop trying. */
export interface RetrySchedule {
  /** Delay cap before the first retry; each later retry doubles it. */
  firstDelayMs: number;
  /** No retry waits longer than this. */
  maxDelayMs: number;
  /** A delivery is marked failed when the next attempt would fall later than this after its creation. */
  giveUpAfterMs: number;
}

/** Retries after about 5 s, 10 s, 20 s, ... up to 1 h apart, for one day. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = Object.freeze({
  firstDelayMs: 5_000,
  maxDelayMs: 3_600_000,
  giveUpAfterMs: 86_400_000,
});

/** Input of {@link nextAttemptAt}. */
export interface NextAttemptAtInput {
  /** Attempts made so far, at least 1. */
  attempt: number;
  nowMs: number;
  /** Usually the delivery's creation time plus `schedule.giveUpAfterMs`. */
  giveUpAtMs: number;
  schedule: RetrySchedule;
  /** Uniform in [0, 1), e.g. `Math.random`. */
  random: () => number;
}

// 2^62 times any sane firstDelayMs is already past any sane maxDelayMs, and still a finite number.
const MAX_DOUBLINGS = 62;

/**
 * When to make the next attempt: exponential backoff with "equal jitter", a whole number of milliseconds in
 * [base/2, base) after `nowMs` where base = min(maxDelayMs, firstDelayMs * 2^(attempt-1)). The half that is
 * never jittered away keeps a retry from being immediate; the random half spreads out receivers that failed
 * together. Returns null when that time is after `giveUpAtMs`, and the caller marks the delivery failed.
 */
export function nextAttemptAt(input: NextAttemptAtInput): number | null {
  const { attempt, nowMs, giveUpAtMs, schedule, random } = input;
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new RangeError(`Expected attempt to be an integer of at least 1, got ${attempt}.`);
  }
  const base = Math.floor(
    Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** Math.min(attempt - 1, MAX_DOUBLINGS)),
  );
  // Whole milliseconds from the integer range, not base/2 + random() * base/2: in floating point that sum
  // rounds up to base itself when random() is just under 1.
  const minDelayMs = Math.ceil(base / 2);
  const delayMs = minDelayMs + Math.floor(random() * (base - minDelayMs));
  const atMs = nowMs + delayMs;
  return atMs > giveUpAtMs ? null : atMs;
}
