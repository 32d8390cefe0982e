/** When a key "has a history", so that its use from a new network is news; documented in docs/alerts.md. */
export interface SourceHistoryThresholds {
  /** The key must have been first seen at least this long before the new network (default 1 h). */
  minHistoryMs: number;
  /** …from at least this many other networks (default 1). */
  minKnownNetworks: number;
}

export const DEFAULT_SOURCE_HISTORY: Readonly<SourceHistoryThresholds> = {
  minHistoryMs: 3_600_000,
  minKnownNetworks: 1,
};

/** What was known of a key when a network new to it was seen. */
export interface SourceHistory {
  /** When the new network was seen. */
  seenAtMs: number;
  /** Networks the key had been seen from before. */
  knownNetworks: number;
  /** When the key was first seen from any network; null for a key never seen before. */
  keyFirstSeenAt: number | null;
}

/**
 * Whether a network new to a key is suspicious: only once the key has a history (seen long enough, from enough
 * networks), so a key's first use, and a new client's first hour spreading over its networks, raise nothing.
 */
export function isNewSourceSuspicious(
  history: SourceHistory,
  thresholds: Readonly<SourceHistoryThresholds> = DEFAULT_SOURCE_HISTORY,
): boolean {
  if (history.keyFirstSeenAt === null) return false;
  return (
    history.knownNetworks >= Math.max(1, thresholds.minKnownNetworks) &&
    history.seenAtMs - history.keyFirstSeenAt >= thresholds.minHistoryMs
  );
}
