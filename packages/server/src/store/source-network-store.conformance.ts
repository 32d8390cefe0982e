import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SourceNetworkSighting, SourceNetworkStore } from "./source-network-store.js";
import type { Stores } from "./stores.js";

const T0 = Date.parse("2026-11-28T09:00:00.000Z");
const HOUR_MS = 3_600_000;
const NET_A = "203.0.113.0/24";
const NET_B = "198.51.100.0/24";
const NET_V6 = "2001:db8:1::/48";

/**
 * The one suite every {@link SourceNetworkStore} implementation must pass. `open` returns a new, empty
 * {@link Stores} bundle that has not been migrated yet; the suite migrates and closes it.
 */
export function describeSourceNetworkStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`SourceNetworkStore conformance: ${name}`, () => {
    let stores: Stores;
    let store: SourceNetworkStore;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      store = stores.sourceNetworks;
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    function seen(keyId: string, network: string, seenAtMs = T0): SourceNetworkSighting {
      return { keyId, network, seenAtMs };
    }

    it("returns a key's first network as new, with no history", async () => {
      expect(await store.recordSourceNetworks([seen("key_1", NET_A)])).toEqual([
        { keyId: "key_1", network: NET_A, firstSeenAt: T0, knownNetworks: 0, keyFirstSeenAt: null },
      ]);
    });

    it("returns nothing for an empty call, and nothing for a pair already known (its first time kept)", async () => {
      expect(await store.recordSourceNetworks([])).toEqual([]);
      await store.recordSourceNetworks([seen("key_1", NET_A)]);
      expect(await store.recordSourceNetworks([seen("key_1", NET_A, T0 + HOUR_MS)])).toEqual([]);
      expect(await store.recordSourceNetworks([seen("key_1", NET_B, T0 + 2 * HOUR_MS)])).toEqual([
        {
          keyId: "key_1",
          network: NET_B,
          firstSeenAt: T0 + 2 * HOUR_MS,
          knownNetworks: 1,
          keyFirstSeenAt: T0,
        },
      ]);
    });

    it("counts a key's earlier networks and its earliest sighting; other keys' networks are not its history", async () => {
      await store.recordSourceNetworks([seen("key_1", NET_A, T0 + 5), seen("key_2", NET_V6, T0)]);
      await store.recordSourceNetworks([seen("key_1", NET_B, T0 + 10)]);
      expect(
        await store.recordSourceNetworks([seen("key_1", NET_V6, T0 + 20), seen("key_3", NET_A, T0 + 20)]),
      ).toEqual([
        { keyId: "key_1", network: NET_V6, firstSeenAt: T0 + 20, knownNetworks: 2, keyFirstSeenAt: T0 + 5 },
        { keyId: "key_3", network: NET_A, firstSeenAt: T0 + 20, knownNetworks: 0, keyFirstSeenAt: null },
      ]);
    });

    it("judges every new pair of one call against the history before the call", async () => {
      await store.recordSourceNetworks([seen("key_1", NET_A)]);
      const added = await store.recordSourceNetworks([
        seen("key_1", NET_B, T0 + HOUR_MS),
        seen("key_1", NET_V6, T0 + HOUR_MS),
        seen("key_2", NET_A, T0 + HOUR_MS),
        seen("key_2", NET_B, T0 + HOUR_MS),
      ]);
      expect(added).toEqual(
        [
          { keyId: "key_1", network: NET_B, firstSeenAt: T0 + HOUR_MS, knownNetworks: 1, keyFirstSeenAt: T0 },
          {
            keyId: "key_1",
            network: NET_V6,
            firstSeenAt: T0 + HOUR_MS,
            knownNetworks: 1,
            keyFirstSeenAt: T0,
          },
          {
            keyId: "key_2",
            network: NET_B,
            firstSeenAt: T0 + HOUR_MS,
            knownNetworks: 0,
            keyFirstSeenAt: null,
          },
          {
            keyId: "key_2",
            network: NET_A,
            firstSeenAt: T0 + HOUR_MS,
            knownNetworks: 0,
            keyFirstSeenAt: null,
          },
        ].sort((a, b) => (a.keyId + a.network < b.keyId + b.network ? -1 : 1)),
      );
    });

    it("counts a pair given twice in one call once, at its earliest time", async () => {
      expect(
        await store.recordSourceNetworks([
          seen("key_1", NET_A, T0 + 30),
          seen("key_1", NET_A, T0 + 10),
          seen("key_1", NET_A, T0 + 20),
        ]),
      ).toEqual([
        { keyId: "key_1", network: NET_A, firstSeenAt: T0 + 10, knownNetworks: 0, keyFirstSeenAt: null },
      ]);
      expect(await store.recordSourceNetworks([seen("key_2", NET_A)])).toHaveLength(1);
    });

    it("concurrent calls with the same pairs: each pair is returned to exactly one of them", async () => {
      await store.recordSourceNetworks([seen("key_1", NET_A)]);
      const batch = ["key_1", "key_2", "key_3"].flatMap((keyId) =>
        [NET_A, NET_B, NET_V6].map((network) => seen(keyId, network, T0 + HOUR_MS)),
      );
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.recordSourceNetworks(i % 2 === 0 ? batch : [...batch].reverse()),
        ),
      );
      const returned = results.flat().map((r) => `${r.keyId} ${r.network}`);
      expect(returned.sort()).toEqual(
        batch
          .map((s) => `${s.keyId} ${s.network}`)
          .filter((pair) => pair !== `key_1 ${NET_A}`)
          .sort(),
      );
    });

    it("keeps long network texts and many pairs in one call", async () => {
      const sightings = Array.from({ length: 1_200 }, (_, i) =>
        seen(`key_${i % 7}`, `2001:db8:${i.toString(16)}::/48`, T0 + i),
      );
      const added = await store.recordSourceNetworks(sightings);
      expect(added).toHaveLength(1_200);
      expect(await store.recordSourceNetworks(sightings)).toEqual([]);
    });
  });
}
