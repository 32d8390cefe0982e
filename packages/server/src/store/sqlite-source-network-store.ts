import {
  distinctSightings,
  type NewSourceNetwork,
  type SourceNetworkSighting,
  type SourceNetworkStore,
} from "./source-network-store.js";
import type { SqliteDatabase } from "./sqlite-database.js";

/** The SQLite {@link SourceNetworkStore}, sharing its connection with the other SQLite stores. */
export class SqliteSourceNetworkStore implements SourceNetworkStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async recordSourceNetworks(sightings: readonly SourceNetworkSighting[]): Promise<NewSourceNetwork[]> {
    if (sightings.length === 0) return [];
    const distinct = distinctSightings(sightings);
    // One write transaction: SQLite has one writer, so the history read first is exactly what was there before.
    return this.#database.write((): NewSourceNetwork[] => {
      const history = new Map<string, { networks: number; first_seen: number | null }>();
      const readHistory = this.#database.statement(
        "SELECT count(*) AS networks, min(first_seen_at) AS first_seen FROM key_source_networks WHERE key_id = ?",
      );
      for (const { keyId } of distinct) {
        if (!history.has(keyId))
          history.set(keyId, readHistory.get(keyId) as { networks: number; first_seen: number | null });
      }
      const insert = this.#database.statement(
        "INSERT INTO key_source_networks (key_id, network, first_seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      );
      const added: NewSourceNetwork[] = [];
      for (const { keyId, network, seenAtMs } of distinct) {
        if (insert.run(keyId, network, seenAtMs).changes === 0) continue;
        const known = history.get(keyId);
        added.push({
          keyId,
          network,
          firstSeenAt: seenAtMs,
          knownNetworks: known?.networks ?? 0,
          keyFirstSeenAt: known?.first_seen ?? null,
        });
      }
      return added;
    });
  }
}
