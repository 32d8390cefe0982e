/** Delays between reconnection attempts: 100 ms doubling to at most 5 s, so an outage is not hammered. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 10), 5_000);
}
