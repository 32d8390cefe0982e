import type { PostgresDatabase } from "./postgres-database.js";
import {
  distinctSightings,
  type NewSourceNetwork,
  type SourceNetworkSighting,
  type SourceNetworkStore,
} from "./source-network-store.js";

/**
 * One statement: every part of it reads the same snapshot, so `history` is the keys' networks before this
 * insert. Two nodes inserting the same pair at once: the second waits on the first's index entry, then does
 * nothing, so only one gets the pair back. Rows are inserted in (key, network) order so that two batches cannot
 * deadlock.
 */
const RECORD_SOURCE_NETWORKS = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS i (key_id, network, seen_at)
  ), history AS (
    SELECT key_id, count(*) AS networks, min(first_seen_at) AS first_seen
      FROM key_source_networks WHERE key_id = ANY ($1::text[]) GROUP BY key_id
  ), inserted AS (
    INSERT INTO key_source_networks (key_id, network, first_seen_at)
    SELECT key_id, network, seen_at FROM input ORDER BY key_id, network
    ON CONFLICT (key_id, network) DO NOTHING
    RETURNING key_id, network, first_seen_at
  )
  SELECT n.key_id, n.network, n.first_seen_at, COALESCE(h.networks, 0) AS networks, h.first_seen
    FROM inserted n LEFT JOIN history h ON h.key_id = n.key_id
   ORDER BY n.key_id, n.network`;

interface RecordedRow {
  key_id: string;
  network: string;
  first_seen_at: number;
  networks: number;
  first_seen: number | null;
}

/** The PostgreSQL {@link SourceNetworkStore}, sharing its pool with the other PostgreSQL stores. */
export class PostgresSourceNetworkStore implements SourceNetworkStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async recordSourceNetworks(sightings: readonly SourceNetworkSighting[]): Promise<NewSourceNetwork[]> {
    if (sightings.length === 0) return [];
    const distinct = distinctSightings(sightings);
    const { rows } = await this.#database.query<RecordedRow>(RECORD_SOURCE_NETWORKS, [
      distinct.map((s) => s.keyId),
      distinct.map((s) => s.network),
      distinct.map((s) => s.seenAtMs),
    ]);
    return rows.map((row) => ({
      keyId: row.key_id,
      network: row.network,
      firstSeenAt: row.first_seen_at,
      knownNetworks: row.networks,
      keyFirstSeenAt: row.first_seen,
    }));
  }
}
