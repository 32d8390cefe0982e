/** A key seen in use from a network: `sourceNetwork()` of the address a verify request named. */
export interface SourceNetworkSighting {
  keyId: string;
  /** CIDR text of the network (`203.0.113.0/24`, `2001:db8:1::/48`). */
  network: string;
  seenAtMs: number;
}

/** A (key, network) pair the store did not know, with what it knew of the key before the call that added it. */
export interface NewSourceNetwork {
  keyId: string;
  network: string;
  /** When the pair was first seen: the earliest `seenAtMs` the call gave it. */
  firstSeenAt: number;
  /** Networks the key had been seen from before the call (so 0 for a key never seen before). */
  knownNetworks: number;
  /** When the key was first seen from any network before the call; null for a key never seen before. */
  keyFirstSeenAt: number | null;
}

/**
 * The networks each key has been used from, shared by every node: what the new-source detector asks "has this
 * key ever been used from here?". Pairs are only ever added; a known pair is never written again.
 */
export interface SourceNetworkStore {
  /**
   * Records each (key, network) pair not yet known and returns those, each with the key's history as it was
   * before this call: a pair already known, or recorded first by a concurrent call of any node, is not returned,
   * so exactly one caller learns that a pair is new. A pair given twice counts once, at its earliest time.
   */
  recordSourceNetworks(sightings: readonly SourceNetworkSighting[]): Promise<NewSourceNetwork[]>;
}

/**
 * The sightings with one entry per (key, network), at its earliest time, sorted by key then network: writers
 * that insert in one order cannot deadlock on each other's rows.
 */
export function distinctSightings(sightings: readonly SourceNetworkSighting[]): SourceNetworkSighting[] {
  const byPair = new Map<string, SourceNetworkSighting>();
  for (const sighting of sightings) {
    const pair = `${sighting.keyId}\0${sighting.network}`;
    const seen = byPair.get(pair);
    if (seen === undefined || sighting.seenAtMs < seen.seenAtMs) byPair.set(pair, sighting);
  }
  return [...byPair.values()].sort((a, b) =>
    a.keyId === b.keyId ? compareText(a.network, b.network) : compareText(a.keyId, b.keyId),
  );
}

/** Byte order, as `COLLATE "C"` and SQLite's BINARY order them (localeCompare would not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
