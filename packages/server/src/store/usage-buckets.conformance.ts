import { newId } from "@keyward/core/ids.js";
import { describe, expect, it } from "vitest";
import type { KeyStore } from "./key-store.js";
import type { UsageBucketEntry } from "./usage-records.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Midnight UTC, a day boundary the roll-up tests straddle. */
const MIDNIGHT = Date.parse("2026-11-29T00:00:00.000Z");

/**
 * The usage bucket part of the KeyStore suite: additive writes, the minute/hour/day roll-up, range filters,
 * top-N ordering, project scoping and retention. `store` returns the migrated store of the current test.
 */
export function describeUsageBucketsConformance(store: () => KeyStore): void {
  describe("usage buckets", () => {
    const projectA = newId("proj");
    const projectB = newId("proj");

    function entry(
      keyId: string,
      code: string,
      atMs: number,
      count = 1,
      projectId = projectA,
    ): UsageBucketEntry {
      return { keyId, projectId, code, minuteStart: Math.floor(atMs / MINUTE) * MINUTE, count };
    }

    it("recordUsageBuckets() adds up batches from concurrent writers exactly", async () => {
      const key = newId("key");
      const batch = [entry(key, "VALID", MIDNIGHT + 5 * MINUTE, 3), entry(key, "RATE_LIMITED", MIDNIGHT, 2)];
      await Promise.all([
        store().recordUsageBuckets(batch),
        store().recordUsageBuckets(batch),
        store().recordUsageBuckets([entry(key, "VALID", MIDNIGHT + 5 * MINUTE, 4)]),
      ]);
      await store().recordUsageBuckets(batch);
      expect(
        await store().keyUsage({
          keyId: key,
          granularity: "minute",
          fromMs: MIDNIGHT,
          toMs: MIDNIGHT + HOUR,
        }),
      ).toEqual([
        { start: MIDNIGHT, total: 6, codes: { RATE_LIMITED: 6 } },
        { start: MIDNIGHT + 5 * MINUTE, total: 13, codes: { VALID: 13 } },
      ]);
      expect(
        await store().keyUsage({ keyId: key, granularity: "day", fromMs: MIDNIGHT, toMs: MIDNIGHT + DAY }),
      ).toEqual([{ start: MIDNIGHT, total: 19, codes: { RATE_LIMITED: 6, VALID: 13 } }]);
    });

    it("recordUsageBuckets() merges repeated entries of one batch and accepts an empty batch", async () => {
      const key = newId("key");
      await store().recordUsageBuckets([]);
      await store().recordUsageBuckets([entry(key, "VALID", MIDNIGHT, 1), entry(key, "VALID", MIDNIGHT, 2)]);
      expect(
        await store().keyUsage({ keyId: key, granularity: "hour", fromMs: MIDNIGHT, toMs: MIDNIGHT + HOUR }),
      ).toEqual([{ start: MIDNIGHT, total: 3, codes: { VALID: 3 } }]);
    });

    it("rolls minutes up into the right UTC hours and days across hour and day boundaries", async () => {
      const key = newId("key");
      await store().recordUsageBuckets([
        entry(key, "VALID", MIDNIGHT - MINUTE, 1), // 23:59 the day before
        entry(key, "VALID", MIDNIGHT - 2 * HOUR + 59 * MINUTE, 2), // 22:59
        entry(key, "VALID", MIDNIGHT, 4), // 00:00
        entry(key, "EXPIRED", MIDNIGHT + 59 * MINUTE, 8), // 00:59
        entry(key, "VALID", MIDNIGHT + HOUR, 16), // 01:00
      ]);
      const range = { keyId: key, fromMs: MIDNIGHT - DAY, toMs: MIDNIGHT + DAY };
      expect(await store().keyUsage({ ...range, granularity: "hour" })).toEqual([
        { start: MIDNIGHT - 2 * HOUR, total: 2, codes: { VALID: 2 } },
        { start: MIDNIGHT - HOUR, total: 1, codes: { VALID: 1 } },
        { start: MIDNIGHT, total: 12, codes: { VALID: 4, EXPIRED: 8 } },
        { start: MIDNIGHT + HOUR, total: 16, codes: { VALID: 16 } },
      ]);
      expect(await store().keyUsage({ ...range, granularity: "day" })).toEqual([
        { start: MIDNIGHT - DAY, total: 3, codes: { VALID: 3 } },
        { start: MIDNIGHT, total: 28, codes: { VALID: 20, EXPIRED: 8 } },
      ]);
      expect(await store().keyUsage({ ...range, granularity: "minute" })).toHaveLength(5);
    });

    it("keyUsage() returns buckets starting in [from, to) of that key only", async () => {
      const key = newId("key");
      const other = newId("key");
      await store().recordUsageBuckets([
        entry(key, "VALID", MIDNIGHT - MINUTE),
        entry(key, "VALID", MIDNIGHT),
        entry(key, "VALID", MIDNIGHT + MINUTE),
        entry(key, "VALID", MIDNIGHT + 2 * MINUTE),
        entry(other, "VALID", MIDNIGHT + MINUTE, 50),
      ]);
      const buckets = await store().keyUsage({
        keyId: key,
        granularity: "minute",
        fromMs: MIDNIGHT,
        toMs: MIDNIGHT + 2 * MINUTE,
      });
      expect(buckets.map((b) => [b.start, b.total])).toEqual([
        [MIDNIGHT, 1],
        [MIDNIGHT + MINUTE, 1],
      ]);
      expect(
        await store().keyUsage({ keyId: newId("key"), granularity: "day", fromMs: 0, toMs: MIDNIGHT + DAY }),
      ).toEqual([]);
    });

    it("projectUsage() ranks the top keys by total, ties by id, with their codes and the series", async () => {
      const [k1, k2, k3, k4] = [newId("key"), newId("key"), newId("key"), newId("key")].sort();
      if (k1 === undefined || k2 === undefined || k3 === undefined || k4 === undefined)
        throw new Error("ids");
      await store().recordUsageBuckets([
        entry(k1, "VALID", MIDNIGHT, 5),
        entry(k2, "VALID", MIDNIGHT, 7),
        entry(k2, "USAGE_EXCEEDED", MIDNIGHT + HOUR, 3),
        entry(k3, "VALID", MIDNIGHT + HOUR, 10),
        entry(k4, "REVOKED", MIDNIGHT, 5),
        entry("", "NOT_FOUND", MIDNIGHT, 1),
      ]);
      const usage = await store().projectUsage({
        projectIds: [projectA],
        granularity: "hour",
        fromMs: MIDNIGHT,
        toMs: MIDNIGHT + DAY,
        groupBy: "key",
        limit: 3,
      });
      expect(usage.groups).toEqual([
        { id: k2, total: 10, codes: { VALID: 7, USAGE_EXCEEDED: 3 } },
        { id: k3, total: 10, codes: { VALID: 10 } },
        { id: k1, total: 5, codes: { VALID: 5 } },
      ]);
      expect(usage.buckets).toEqual([
        { start: MIDNIGHT, total: 18, codes: { VALID: 12, REVOKED: 5, NOT_FOUND: 1 } },
        { start: MIDNIGHT + HOUR, total: 13, codes: { VALID: 10, USAGE_EXCEEDED: 3 } },
      ]);
      const byCode = await store().projectUsage({
        projectIds: [projectA],
        granularity: "day",
        fromMs: MIDNIGHT,
        toMs: MIDNIGHT + DAY,
        groupBy: "code",
        limit: 10,
      });
      expect(byCode.groups).toEqual([
        { id: "VALID", total: 22, codes: { VALID: 22 } },
        { id: "REVOKED", total: 5, codes: { REVOKED: 5 } },
        { id: "USAGE_EXCEEDED", total: 3, codes: { USAGE_EXCEEDED: 3 } },
        { id: "NOT_FOUND", total: 1, codes: { NOT_FOUND: 1 } },
      ]);
    });

    it("projectUsage() counts only the named projects, and nothing for an empty list", async () => {
      const inA = newId("key");
      const inB = newId("key");
      await store().recordUsageBuckets([
        entry(inA, "VALID", MIDNIGHT, 2, projectA),
        entry(inB, "VALID", MIDNIGHT, 3, projectB),
        entry("", "NOT_FOUND", MIDNIGHT, 1, projectA),
        entry("", "NOT_FOUND", MIDNIGHT, 4, projectB),
      ]);
      const query = {
        granularity: "day",
        fromMs: MIDNIGHT,
        toMs: MIDNIGHT + DAY,
        groupBy: "key",
        limit: 10,
      } as const;
      const onlyB = await store().projectUsage({ ...query, projectIds: [projectB] });
      expect(onlyB.groups).toEqual([
        { id: "", total: 4, codes: { NOT_FOUND: 4 } },
        { id: inB, total: 3, codes: { VALID: 3 } },
      ]);
      expect(onlyB.buckets).toEqual([{ start: MIDNIGHT, total: 7, codes: { VALID: 3, NOT_FOUND: 4 } }]);
      const both = await store().projectUsage({ ...query, projectIds: [projectA, projectB] });
      expect(both.buckets[0]?.total).toBe(10);
      expect(both.groups.find((g) => g.id === "")).toEqual({ id: "", total: 5, codes: { NOT_FOUND: 5 } });
      expect(await store().projectUsage({ ...query, projectIds: [] })).toEqual({ buckets: [], groups: [] });
      const everyProject = await store().projectUsage({ ...query, projectIds: null });
      expect(everyProject.buckets[0]?.total).toBeGreaterThanOrEqual(10);
    });

    it("pruneUsageBuckets() deletes old minute and hour buckets and keeps every day bucket", async () => {
      const key = newId("key");
      const old = MIDNIGHT - 100 * DAY;
      await store().recordUsageBuckets([entry(key, "VALID", old, 1), entry(key, "VALID", MIDNIGHT, 2)]);
      const deleted = await store().pruneUsageBuckets({
        minutesBeforeMs: MIDNIGHT - 2 * DAY,
        hoursBeforeMs: MIDNIGHT - 90 * DAY,
      });
      expect(deleted).toBe(2);
      const range = { keyId: key, fromMs: old - DAY, toMs: MIDNIGHT + DAY };
      expect((await store().keyUsage({ ...range, granularity: "minute" })).map((b) => b.start)).toEqual([
        MIDNIGHT,
      ]);
      expect((await store().keyUsage({ ...range, granularity: "hour" })).map((b) => b.start)).toEqual([
        MIDNIGHT,
      ]);
      expect((await store().keyUsage({ ...range, granularity: "day" })).map((b) => b.start)).toEqual([
        old,
        MIDNIGHT,
      ]);
    });
  });
}
