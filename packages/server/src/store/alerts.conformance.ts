import { newId } from "@keyward/core/ids.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { AlertRaise, AlertRecord } from "./alert-records.js";
import type { KeyStore } from "./key-store.js";
import type { EffectsFor } from "./records.js";
import type { StoreFixtures } from "./store-fixtures.js";

const NOW = Date.parse("2026-11-28T09:00:00.000Z");
const QUIET = 600_000;

/**
 * The alert part of the KeyStore suite: one storm is one alert (across concurrent writers too), the quiet window
 * and acknowledgement end a storm, only a new alert writes events, filters and project scoping of the list.
 * `store` and `fx` return the migrated store of the current test and its fixtures.
 */
export function describeAlertsConformance(store: () => KeyStore, fx: () => StoreFixtures): void {
  describe("alerts", () => {
    let projectId: string;

    beforeEach(async () => {
      projectId = (await fx().createProject()).id;
    });

    function raise(overrides: Partial<AlertRaise> = {}): AlertRaise {
      const keyId = overrides.keyId ?? newId("key");
      return {
        id: newId("alr"),
        projectId,
        keyId,
        type: "dead_key_used",
        dedupKey: `dead_key_used:${keyId}`,
        details: { keyId, code: "REVOKED", ip: "203.0.113.7", nested: { ü: ["✓", 1, null] } },
        atMs: NOW,
        quietMs: QUIET,
        ...overrides,
      };
    }

    const anomalyEvents: EffectsFor<AlertRecord> = (alert) => [
      fx().makeEvent(alert.projectId, "anomaly.detected", { keyId: alert.keyId ?? undefined }),
    ];

    it("createKey() keeps a key's canary flag, and keys are not canaries by default", async () => {
      const canary = await fx().createKey(projectId, { canary: true });
      const plain = await fx().createKey(projectId);
      expect(await store().findKey(canary.record.id)).toMatchObject({ canary: true });
      expect((await store().findKeyByDigest(canary.digest))?.record.canary).toBe(true);
      expect(await store().findKey(plain.record.id)).toMatchObject({ canary: false });
    });

    it("raiseAlert() inserts a new alert with one occurrence and hands its details back unchanged", async () => {
      const first = raise();
      const { alert, raised } = await store().raiseAlert(first);
      expect(raised).toBe(true);
      expect(alert).toEqual({
        id: first.id,
        projectId,
        keyId: first.keyId,
        type: "dead_key_used",
        dedupKey: first.dedupKey,
        firstSeenAt: NOW,
        lastSeenAt: NOW,
        occurrences: 1,
        details: first.details,
        acknowledgedAt: null,
        acknowledgedBy: null,
      });
      expect(await store().findAlert(first.id)).toEqual(alert);
      expect(await store().findAlert(newId("alr"))).toBeNull();
    });

    it("raiseAlert() adds repeats within the quiet window to the open alert, and a quiet gap starts a new one", async () => {
      const first = raise();
      await store().raiseAlert(first);
      const again = await store().raiseAlert({ ...first, id: newId("alr"), atMs: NOW + QUIET });
      expect(again.raised).toBe(false);
      expect(again.alert).toMatchObject({
        id: first.id,
        occurrences: 2,
        firstSeenAt: NOW,
        lastSeenAt: NOW + QUIET,
      });
      // The window runs from the last occurrence, so a steady storm stays one alert.
      const third = await store().raiseAlert({ ...first, id: newId("alr"), atMs: NOW + 2 * QUIET });
      expect(third.alert).toMatchObject({ id: first.id, occurrences: 3, lastSeenAt: NOW + 2 * QUIET });
      // An occurrence older than the last one counts but does not move last_seen_at back.
      const late = await store().raiseAlert({ ...first, id: newId("alr"), atMs: NOW + QUIET });
      expect(late.alert).toMatchObject({ occurrences: 4, lastSeenAt: NOW + 2 * QUIET });
      const later = raise({ ...first, id: newId("alr"), atMs: NOW + 3 * QUIET + 1 });
      const fresh = await store().raiseAlert(later);
      expect(fresh).toMatchObject({ raised: true, alert: { id: later.id, occurrences: 1 } });
    });

    it("raiseAlert() keeps storms of different dedup keys apart", async () => {
      const a = await store().raiseAlert(raise());
      const b = await store().raiseAlert(raise());
      expect(a.raised && b.raised).toBe(true);
      expect(a.alert.id).not.toBe(b.alert.id);
    });

    it("raiseAlert() from concurrent writers makes one alert counting every occurrence", async () => {
      const keyId = newId("key");
      const raises = Array.from({ length: 8 }, (_, i) => raise({ keyId, atMs: NOW + i }));
      const outcomes = await Promise.all(raises.map((r) => store().raiseAlert(r)));
      expect(outcomes.filter((o) => o.raised)).toHaveLength(1);
      const alerts = await store().listAlerts({ projectIds: [projectId], limit: 100 });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ occurrences: 8, lastSeenAt: NOW + 7 });
    });

    it("raiseAlert() writes events only when it raises a new alert", async () => {
      const webhook = (await fx().createWebhook(projectId, { events: ["anomaly.detected"] })).record;
      const other = (await fx().createWebhook(projectId, { events: ["key.created"] })).record;
      const first = raise();
      const given: AlertRecord[] = [];
      const effectsFor: EffectsFor<AlertRecord> = (alert) => {
        given.push(alert);
        return anomalyEvents(alert);
      };
      const raised = await store().raiseAlert(first, effectsFor);
      await store().raiseAlert({ ...first, id: newId("alr"), atMs: NOW + 1 }, effectsFor);
      expect(given).toEqual([raised.alert]);
      expect(await fx().eventsSeenBy(webhook.id)).toEqual([{ type: "anomaly.detected", keyId: first.keyId }]);
      expect(await fx().eventsSeenBy(other.id)).toEqual([]);
    });

    it("acknowledgeAlert() acknowledges once, and the next occurrence raises a new alert", async () => {
      const first = raise();
      await store().raiseAlert(first);
      const acknowledged = await store().acknowledgeAlert(first.id, "tok_ops", NOW + 5);
      expect(acknowledged).toMatchObject({
        id: first.id,
        acknowledgedAt: NOW + 5,
        acknowledgedBy: "tok_ops",
      });
      expect(await store().acknowledgeAlert(first.id, "tok_other", NOW + 6)).toEqual(acknowledged);
      expect(await store().acknowledgeAlert(newId("alr"), "tok_ops", NOW)).toBeNull();
      const next = await store().raiseAlert({ ...first, id: newId("alr"), atMs: NOW + 10 });
      expect(next).toMatchObject({ raised: true, alert: { occurrences: 1, acknowledgedAt: null } });
    });

    it("listAlerts() pages in id order and filters by project, acknowledgement and type", async () => {
      const otherProject = (await fx().createProject({ name: "other" })).id;
      const dead = await store().raiseAlert(raise({ atMs: NOW }));
      const canary = await store().raiseAlert(raise({ type: "canary", dedupKey: `canary:${newId("key")}` }));
      const elsewhere = await store().raiseAlert(raise({ projectId: otherProject }));
      await store().acknowledgeAlert(dead.alert.id, null, NOW + 1);
      const ids = (alerts: AlertRecord[]): string[] => alerts.map((a) => a.id);
      const mine = [dead.alert.id, canary.alert.id].sort();
      expect(ids(await store().listAlerts({ projectIds: [projectId], limit: 100 }))).toEqual(mine);
      expect(ids(await store().listAlerts({ projectIds: [projectId], limit: 1 }))).toEqual([mine[0]]);
      expect(
        ids(await store().listAlerts({ projectIds: [projectId], limit: 100, after: mine[0] as string })),
      ).toEqual([mine[1]]);
      expect(
        ids(await store().listAlerts({ projectIds: [projectId], acknowledged: true, limit: 100 })),
      ).toEqual([dead.alert.id]);
      expect(
        ids(await store().listAlerts({ projectIds: [projectId], acknowledged: false, limit: 100 })),
      ).toEqual([canary.alert.id]);
      expect(ids(await store().listAlerts({ projectIds: [projectId], type: "canary", limit: 100 }))).toEqual([
        canary.alert.id,
      ]);
      expect(await store().listAlerts({ projectIds: [], limit: 100 })).toEqual([]);
      const all = ids(await store().listAlerts({ projectIds: null, limit: 100 }));
      expect(all).toEqual(expect.arrayContaining([...mine, elsewhere.alert.id]));
    });
  });
}
