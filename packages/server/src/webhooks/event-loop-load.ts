import { type EventLoopUtilization, performance } from "node:perf_hooks";

/** Options for {@link createEventLoopLoadProbe}; the samplers are injectable for tests. */
export interface EventLoopLoadProbeOptions {
  /** Share of time the event loop was busy (0–1) from which the process counts as busy. */
  threshold: number;
  /** The utilization is measured over windows at least this long. */
  windowMs: number;
  sample?: (current?: EventLoopUtilization, previous?: EventLoopUtilization) => EventLoopUtilization;
  nowMs?: () => number;
}

/**
 * A cheap "is this process busy serving requests?" probe: the event loop utilization over the last completed
 * window. Background work (webhook delivery) asks it and slows down, so verification keeps the CPU.
 */
export function createEventLoopLoadProbe(options: EventLoopLoadProbeOptions): () => boolean {
  const sample =
    options.sample ?? ((current, previous) => performance.eventLoopUtilization(current, previous));
  const nowMs = options.nowMs ?? (() => performance.now());
  let windowStart = sample();
  let windowStartedAt = nowMs();
  let busy = false;
  return () => {
    const now = nowMs();
    if (now - windowStartedAt >= options.windowMs) {
      const current = sample();
      busy = sample(current, windowStart).utilization >= options.threshold;
      windowStart = current;
      windowStartedAt = now;
    }
    return busy;
  };
}
