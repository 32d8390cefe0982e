import { newId } from "@keyward/core/ids.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import type { NewEvent, ProjectRecord } from "./records.js";
import { collectPages, StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import type {
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryResult,
  NewWebhook,
  WebhookRecord,
  WebhookStore,
} from "./webhook-store.js";

const DAY_MS = 86_400_000;
/** An hour after the fixtures' events happen: when the suite's workers claim them. */
const NOW = T0 + 3_600_000;
const LEASE_MS = 60_000;

/**
 * The one suite every {@link WebhookStore} implementation must pass, written only against the interfaces.
 * `open` returns a new, empty {@link Stores} bundle that has not been migrated yet; the suite migrates and closes
 * it.
 */
export function describeWebhookStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`WebhookStore conformance: ${name}`, () => {
    let stores: Stores;
    let webhooks: WebhookStore;
    let fx: StoreFixtures;
    let project: ProjectRecord;
    let other: ProjectRecord;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      webhooks = stores.webhooks;
      fx = new StoreFixtures(stores);
      project = await fx.createProject();
      other = await fx.createProject({ name: "other" });
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    /** Appends one event of the project and returns it. */
    async function append(type = "key.created", createdAt?: number): Promise<NewEvent> {
      const event = fx.makeEvent(project.id, type, createdAt === undefined ? {} : { createdAt });
      await webhooks.appendEvents([event]);
      return event;
    }

    function claim(nowMs: number, limit = 100): Promise<ClaimedDelivery[]> {
      return webhooks.claimDeliveries({ nowMs, leaseUntilMs: nowMs + LEASE_MS, limit });
    }

    function attemptOf(
      claimed: ClaimedDelivery,
      attemptedAt: number,
      fields: Partial<DeliveryAttempt> = {},
    ): DeliveryAttempt {
      return {
        attempt: claimed.attempt,
        attemptedAt,
        durationMs: 25,
        statusCode: 200,
        error: null,
        responseBody: "ok",
        ...fields,
      };
    }

    function finish(
      claimed: ClaimedDelivery,
      attempt: DeliveryAttempt,
      outcome: DeliveryResult["outcome"],
    ): Promise<void> {
      return webhooks.finishDelivery({
        webhookId: claimed.webhookId,
        eventId: claimed.eventId,
        attempt,
        outcome,
      });
    }

    /** Claims everything due at `nowMs` and finishes each claim with the outcome `outcomeOf` picks. */
    async function settle(
      nowMs: number,
      outcomeOf: (claimed: ClaimedDelivery) => DeliveryResult["outcome"],
    ): Promise<ClaimedDelivery[]> {
      const claimed = await claim(nowMs);
      for (const c of claimed) await finish(c, attemptOf(c, nowMs), outcomeOf(c));
      return claimed;
    }

    function byEvent(claims: ClaimedDelivery[]): ClaimedDelivery[] {
      const key = (c: ClaimedDelivery): string => `${c.eventId} ${c.webhookId}`;
      return [...claims].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    }

    /** The delivery as it stands right after its event was written. */
    function freshDelivery(webhook: WebhookRecord, event: NewEvent): DeliveryRecord {
      return {
        id: event.id,
        webhookId: webhook.id,
        eventType: event.type,
        status: "pending",
        attempts: 0,
        nextAttemptAt: event.createdAt,
        deliveredAt: null,
        createdAt: event.createdAt,
        attemptLog: [],
      };
    }

    function claimOf(
      webhook: NewWebhook,
      event: NewEvent,
      attempt: number,
      windowStartMs: number,
    ): ClaimedDelivery {
      return {
        webhookId: webhook.record.id,
        eventId: event.id,
        attempt,
        windowStartMs,
        url: webhook.record.url,
        sealedSecret: webhook.sealedSecret,
        eventType: event.type,
        payload: event.payload,
        eventCreatedAt: event.createdAt,
      };
    }

    describe("webhooks", () => {
      it("findWebhook() returns exactly what createWebhook() stored, without the secret, and null for unknown ids", async () => {
        const plain = await fx.createWebhook(project.id);
        const bare = await fx.createWebhook(project.id, {
          description: null,
          events: ["key.created", "key.revoked"],
          enabled: false,
          url: "https://hooks.example.com/ünïcode?x=1",
        });
        for (const webhook of [plain, bare]) {
          const found = await webhooks.findWebhook(webhook.record.id);
          expect(found).toEqual(webhook.record);
          expect(Object.keys(found as WebhookRecord).sort()).toEqual(Object.keys(webhook.record).sort());
        }
        expect(await webhooks.findWebhook(newId("wh"))).toBeNull();
      });

      it("createWebhook() with an id already taken throws CONFLICT and keeps the first", async () => {
        const first = await fx.createWebhook(project.id);
        const again = fx.makeWebhook(project.id, { id: first.record.id, url: "https://evil.example.com/" });
        await expectKeywardError(webhooks.createWebhook(again), "CONFLICT");
        expect(await webhooks.findWebhook(first.record.id)).toEqual(first.record);
      });

      it("updateWebhook() changes only the patched fields and sets updatedAt", async () => {
        const webhook = await fx.createWebhook(project.id);
        const patches = [
          { url: "https://other.example.com/hook" },
          { description: null },
          { description: "named again" },
          { events: ["key.rotated", "key.expiring"] },
          { enabled: false },
          { enabled: true, events: ["*"], description: null },
        ];
        let expected = webhook.record;
        for (const [i, patch] of patches.entries()) {
          const now = NOW + i;
          expected = { ...expected, ...patch, updatedAt: now };
          expect(await webhooks.updateWebhook(webhook.record.id, patch, now)).toEqual(expected);
          expect(await webhooks.findWebhook(webhook.record.id)).toEqual(expected);
        }
        expect(expected.createdAt).toBe(webhook.record.createdAt);
      });

      it("updateWebhook() returns null for an unknown id and creates nothing", async () => {
        const id = newId("wh");
        expect(await webhooks.updateWebhook(id, { enabled: false }, NOW)).toBeNull();
        expect(await webhooks.findWebhook(id)).toBeNull();
      });

      it("listWebhooks() pages in id order and filters by project", async () => {
        const made = [
          fx.makeWebhook(project.id),
          fx.makeWebhook(other.id),
          fx.makeWebhook(project.id, { enabled: false }),
          fx.makeWebhook(other.id),
          fx.makeWebhook(project.id),
        ];
        for (const i of [3, 0, 4, 2, 1]) await webhooks.createWebhook(made[i] as NewWebhook);
        const all = made.map((w) => w.record);
        const pages = await collectPages((after) =>
          webhooks.listWebhooks({ projectIds: null, limit: 2, ...(after ? { after } : {}) }),
        );
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat()).toEqual(all);
        const mine = all.filter((w) => w.projectId === project.id);
        expect(await webhooks.listWebhooks({ projectIds: [project.id], limit: 100 })).toEqual(mine);
        const minePages = await collectPages((after) =>
          webhooks.listWebhooks({ projectIds: [project.id], limit: 1, ...(after ? { after } : {}) }),
        );
        expect(minePages).toEqual(mine.map((w) => [w]));
        expect(await webhooks.listWebhooks({ projectIds: [other.id, project.id], limit: 100 })).toEqual(all);
        expect(await webhooks.listWebhooks({ projectIds: [], limit: 100 })).toEqual([]);
        expect(await webhooks.listWebhooks({ projectIds: [newId("proj")], limit: 100 })).toEqual([]);
      });

      it("deleteWebhook() removes the webhook and its deliveries, and no other webhook's", async () => {
        const doomed = await fx.createWebhook(project.id);
        const kept = await fx.createWebhook(project.id);
        const event = await append();
        expect(await webhooks.deleteWebhook(doomed.record.id)).toBe(true);
        expect(await webhooks.findWebhook(doomed.record.id)).toBeNull();
        expect(await webhooks.findDelivery(doomed.record.id, event.id)).toBeNull();
        expect(await webhooks.listDeliveries(doomed.record.id, { limit: 100 })).toEqual([]);
        expect(await webhooks.findDelivery(kept.record.id, event.id)).toEqual(
          freshDelivery(kept.record, event),
        );
        expect(await claim(NOW)).toEqual([claimOf(kept, event, 1, event.createdAt)]);
        expect(await webhooks.deleteWebhook(doomed.record.id)).toBe(false);
        expect(await webhooks.deleteWebhook(newId("wh"))).toBe(false);
      });
    });

    describe("appendEvents()", () => {
      it("creates a pending delivery, due at once, for each enabled webhook of the project subscribed to the type", async () => {
        const all = (await fx.createWebhook(project.id, { events: ["*"] })).record;
        const createdOnly = (await fx.createWebhook(project.id, { events: ["key.created"] })).record;
        const twoTypes = (await fx.createWebhook(project.id, { events: ["key.revoked", "key.expiring"] }))
          .record;
        const disabled = (await fx.createWebhook(project.id, { events: ["*"], enabled: false })).record;
        const elsewhere = (await fx.createWebhook(other.id, { events: ["*"] })).record;
        const created = fx.makeEvent(project.id, "key.created");
        const revoked = fx.makeEvent(project.id, "key.revoked");
        const rotated = fx.makeEvent(project.id, "key.rotated");
        const otherProject = fx.makeEvent(other.id, "key.created");
        await webhooks.appendEvents([created, revoked, rotated, otherProject]);
        const types = async (webhook: WebhookRecord) =>
          (await fx.eventsSeenBy(webhook.id)).map((e) => e.type);
        expect(await types(all)).toEqual(["key.created", "key.revoked", "key.rotated"]);
        expect(await types(createdOnly)).toEqual(["key.created"]);
        expect(await types(twoTypes)).toEqual(["key.revoked"]);
        expect(await types(disabled)).toEqual([]);
        expect(await types(elsewhere)).toEqual(["key.created"]);
        expect(await webhooks.findDelivery(all.id, revoked.id)).toEqual(freshDelivery(all, revoked));
      });

      it("does not hand earlier events to a webhook created, subscribed or enabled later", async () => {
        const before = await append("key.created");
        const late = (await fx.createWebhook(project.id, { events: ["*"] })).record;
        const narrow = (await fx.createWebhook(project.id, { events: ["key.revoked"] })).record;
        const off = (await fx.createWebhook(project.id, { events: ["*"], enabled: false })).record;
        const skipped = await append("key.created");
        await webhooks.updateWebhook(narrow.id, { events: ["*"] }, NOW);
        await webhooks.updateWebhook(off.id, { enabled: true }, NOW);
        const after = await append("key.updated");
        expect(ids(await webhooks.listDeliveries(late.id, { limit: 100 }))).toEqual([after.id, skipped.id]);
        expect(ids(await webhooks.listDeliveries(narrow.id, { limit: 100 }))).toEqual([after.id]);
        expect(ids(await webhooks.listDeliveries(off.id, { limit: 100 }))).toEqual([after.id]);
        expect(await webhooks.findDelivery(late.id, before.id)).toBeNull();
      });

      it("writes all of its events or none: an id already written throws CONFLICT", async () => {
        const watcher = (await fx.createWebhook(project.id)).record;
        const first = await append();
        const fresh = fx.makeEvent(project.id, "key.updated");
        await expectKeywardError(
          webhooks.appendEvents([fresh, { ...first, type: "key.revoked" }]),
          "CONFLICT",
        );
        expect(ids(await webhooks.listDeliveries(watcher.id, { limit: 100 }))).toEqual([first.id]);
      });

      it("accepts an empty list", async () => {
        await expect(webhooks.appendEvents([])).resolves.toBeUndefined();
      });
    });

    describe("claimDeliveries()", () => {
      it("leases pending deliveries due at nowMs, returning everything a sender needs", async () => {
        const webhook = await fx.createWebhook(project.id);
        const early = await append("key.created", T0 + 1_000);
        const late = await append("key.revoked", T0 + 2_000);
        expect(await claim(T0 + 999)).toEqual([]);
        expect(await claim(T0 + 1_000)).toEqual([claimOf(webhook, early, 1, early.createdAt)]);
        expect(await webhooks.findDelivery(webhook.record.id, early.id)).toMatchObject({
          status: "pending",
          attempts: 1,
        });
        expect(await claim(T0 + 2_000)).toEqual([claimOf(webhook, late, 1, late.createdAt)]);
      });

      it("claims one event once per subscribed webhook, each with its own url and secret", async () => {
        const a = await fx.createWebhook(project.id, { url: "https://a.example.com/" });
        const b = await fx.createWebhook(project.id, { url: "https://b.example.com/" });
        const event = await append();
        expect(byEvent(await claim(NOW))).toEqual(
          byEvent([claimOf(a, event, 1, event.createdAt), claimOf(b, event, 1, event.createdAt)]),
        );
      });

      it("does not claim a leased delivery again until the lease ends, then claims it with the next attempt", async () => {
        const webhook = await fx.createWebhook(project.id);
        const event = await append();
        expect(
          await webhooks.claimDeliveries({ nowMs: NOW, leaseUntilMs: NOW + LEASE_MS, limit: 10 }),
        ).toHaveLength(1);
        expect(await claim(NOW)).toEqual([]);
        expect(await claim(NOW + LEASE_MS - 1)).toEqual([]);
        expect(await claim(NOW + LEASE_MS)).toEqual([claimOf(webhook, event, 2, event.createdAt)]);
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toMatchObject({ attempts: 2 });
      });

      it("claims nothing of a disabled webhook, and its deliveries again once it is enabled", async () => {
        const webhook = await fx.createWebhook(project.id);
        const event = await append();
        await webhooks.updateWebhook(webhook.record.id, { enabled: false }, NOW);
        expect(await claim(NOW)).toEqual([]);
        await webhooks.updateWebhook(webhook.record.id, { enabled: true }, NOW);
        expect(await claim(NOW)).toEqual([claimOf(webhook, event, 1, event.createdAt)]);
      });

      it("never claims delivered or failed deliveries", async () => {
        await fx.createWebhook(project.id);
        const delivered = await append();
        await append();
        await settle(NOW, (c) =>
          c.eventId === delivered.id ? { status: "delivered" } : { status: "failed" },
        );
        expect(await claim(NOW + DAY_MS)).toEqual([]);
      });

      it("claims at most limit deliveries, leaving the rest for the next call", async () => {
        await fx.createWebhook(project.id);
        const events = [await append(), await append(), await append()];
        const first = await claim(NOW, 2);
        const second = await claim(NOW, 2);
        expect(first).toHaveLength(2);
        expect(second).toHaveLength(1);
        expect([...first, ...second].map((c) => c.eventId).sort()).toEqual(events.map((e) => e.id).sort());
        expect(await claim(NOW, 2)).toEqual([]);
      });

      it("with perWebhookLimit, gives each webhook at most its share less what is in flight for it", async () => {
        const slow = await fx.createWebhook(project.id, { url: "https://slow.example.com/" });
        const fast = await fx.createWebhook(project.id, { url: "https://fast.example.com/" });
        for (let i = 0; i < 5; i++) await append();
        const claimShare = (inFlight: Map<string, number>) =>
          webhooks.claimDeliveries({
            nowMs: NOW,
            leaseUntilMs: NOW + LEASE_MS,
            limit: 10,
            perWebhookLimit: 2,
            inFlight,
          });
        const perWebhook = (claimed: ClaimedDelivery[]) =>
          Object.fromEntries(
            [slow, fast].map((w) => [
              w.record.url,
              claimed.filter((c) => c.webhookId === w.record.id).length,
            ]),
          );
        expect(perWebhook(await claimShare(new Map()))).toEqual({
          "https://slow.example.com/": 2,
          "https://fast.example.com/": 2,
        });
        // Two of slow's still in flight: it gets nothing more, fast gets its full share again.
        expect(perWebhook(await claimShare(new Map([[slow.record.id, 2]])))).toEqual({
          "https://slow.example.com/": 0,
          "https://fast.example.com/": 2,
        });
        expect(perWebhook(await claimShare(new Map([[slow.record.id, 1]])))).toEqual({
          "https://slow.example.com/": 1,
          "https://fast.example.com/": 1,
        });
      });

      it("serves webhooks earliest-due first, so a backlog of one does not starve the next", async () => {
        const backlog = await fx.createWebhook(project.id, { url: "https://backlog.example.com/" });
        for (let i = 0; i < 3; i++) await append("key.created", T0 + i);
        const late = await fx.createWebhook(project.id, { url: "https://late.example.com/" });
        const event = await append("key.revoked", T0 + 10);
        const claimed = await webhooks.claimDeliveries({
          nowMs: NOW,
          leaseUntilMs: NOW + LEASE_MS,
          limit: 3,
          perWebhookLimit: 2,
        });
        expect(claimed.map((c) => [c.webhookId, c.eventId])).toEqual([
          [backlog.record.id, expect.any(String)],
          [backlog.record.id, expect.any(String)],
          [late.record.id, event.id],
        ]);
      });
    });

    describe("finishDelivery()", () => {
      let webhook: NewWebhook;
      let event: NewEvent;

      beforeEach(async () => {
        webhook = await fx.createWebhook(project.id);
        event = await append();
      });

      async function claimOne(nowMs: number): Promise<ClaimedDelivery> {
        const [claimed] = await claim(nowMs);
        expect(claimed).toBeDefined();
        return claimed as ClaimedDelivery;
      }

      it("delivered: records the attempt and when the receiver answered, and the delivery is done", async () => {
        const claimed = await claimOne(NOW);
        const attempt = attemptOf(claimed, NOW + 5, { durationMs: 40, statusCode: 204, responseBody: "" });
        await finish(claimed, attempt, { status: "delivered" });
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toEqual({
          ...freshDelivery(webhook.record, event),
          status: "delivered",
          attempts: 1,
          nextAttemptAt: null,
          deliveredAt: NOW + 45,
          attemptLog: [attempt],
        });
        expect(await claim(NOW + DAY_MS)).toEqual([]);
      });

      it("pending: records the attempt, releases the lease and makes the delivery due at nextAttemptAt", async () => {
        const claimed = await claimOne(NOW);
        const attempt = attemptOf(claimed, NOW, {
          durationMs: 10_000,
          statusCode: null,
          error: "timeout",
          responseBody: null,
        });
        // Sooner than the lease would run out: finishing ends the lease.
        const nextAttemptAt = NOW + LEASE_MS / 2;
        await finish(claimed, attempt, { status: "pending", nextAttemptAt });
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toEqual({
          ...freshDelivery(webhook.record, event),
          attempts: 1,
          nextAttemptAt,
          attemptLog: [attempt],
        });
        expect(await claim(nextAttemptAt - 1)).toEqual([]);
        expect(await claim(nextAttemptAt)).toEqual([claimOf(webhook, event, 2, event.createdAt)]);
      });

      it("failed: records every attempt in order, and the delivery is never claimed again", async () => {
        const first = await claimOne(NOW);
        const firstAttempt = attemptOf(first, NOW, { statusCode: 500, responseBody: "boom" });
        await finish(first, firstAttempt, { status: "pending", nextAttemptAt: NOW + 1_000 });
        const second = await claimOne(NOW + 1_000);
        const secondAttempt = attemptOf(second, NOW + 1_000, { statusCode: 410, responseBody: "gone" });
        await finish(second, secondAttempt, { status: "failed" });
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toEqual({
          ...freshDelivery(webhook.record, event),
          status: "failed",
          attempts: 2,
          nextAttemptAt: null,
          attemptLog: [firstAttempt, secondAttempt],
        });
        expect(await claim(NOW + DAY_MS)).toEqual([]);
      });

      it("a stale attempt's result is recorded but does not change the state of a later attempt", async () => {
        const stale = await claimOne(NOW);
        const current = await claimOne(NOW + LEASE_MS);
        expect(current.attempt).toBe(2);
        const staleAttempt = attemptOf(stale, NOW + LEASE_MS + 5, { durationMs: 1 });
        await finish(stale, staleAttempt, { status: "delivered" });
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toEqual({
          ...freshDelivery(webhook.record, event),
          attempts: 2,
          attemptLog: [staleAttempt],
        });
        // Still leased to the current attempt.
        expect(await claim(NOW + LEASE_MS + 10)).toEqual([]);
        const currentAttempt = attemptOf(current, NOW + LEASE_MS + 20, { statusCode: 503 });
        await finish(current, currentAttempt, { status: "failed" });
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toMatchObject({
          status: "failed",
          attempts: 2,
          attemptLog: [staleAttempt, currentAttempt],
        });
      });

      it("is ignored when the webhook was deleted during the attempt", async () => {
        const claimed = await claimOne(NOW);
        await webhooks.deleteWebhook(webhook.record.id);
        await expect(
          finish(claimed, attemptOf(claimed, NOW), { status: "delivered" }),
        ).resolves.toBeUndefined();
        expect(await webhooks.findDelivery(webhook.record.id, event.id)).toBeNull();
      });
    });

    describe("listDeliveries() and findDelivery()", () => {
      it("lists one webhook's deliveries newest first, paging with after and filtering by status", async () => {
        const webhook = (await fx.createWebhook(project.id)).record;
        const bystander = (await fx.createWebhook(project.id)).record;
        const events: NewEvent[] = [];
        for (let i = 0; i < 5; i++) events.push(await append());
        const [e0, e1, e2, e3, e4] = events as [NewEvent, NewEvent, NewEvent, NewEvent, NewEvent];
        const status = new Map([
          [e0.id, "delivered"],
          [e1.id, "failed"],
          [e3.id, "delivered"],
        ]);
        await settle(NOW, (c) => {
          if (c.webhookId !== webhook.id) return { status: "delivered" };
          const s = status.get(c.eventId);
          return s === "delivered"
            ? { status: "delivered" }
            : s === "failed"
              ? { status: "failed" }
              : { status: "pending", nextAttemptAt: NOW + DAY_MS };
        });
        const newestFirst = [e4, e3, e2, e1, e0].map((e) => e.id);
        const pages = await collectPages((after) =>
          webhooks.listDeliveries(webhook.id, { limit: 2, ...(after ? { after } : {}) }),
        );
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(ids(pages.flat())).toEqual(newestFirst);
        for (const delivery of pages.flat()) {
          expect(delivery).toEqual(await webhooks.findDelivery(webhook.id, delivery.id));
          expect(delivery.webhookId).toBe(webhook.id);
          expect(delivery.attemptLog).toHaveLength(1);
        }
        const delivered = await collectPages((after) =>
          webhooks.listDeliveries(webhook.id, { limit: 1, status: "delivered", ...(after ? { after } : {}) }),
        );
        expect(delivered.map(ids)).toEqual([[e3.id], [e0.id]]);
        expect(ids(await webhooks.listDeliveries(webhook.id, { limit: 100, status: "failed" }))).toEqual([
          e1.id,
        ]);
        expect(ids(await webhooks.listDeliveries(webhook.id, { limit: 100, status: "pending" }))).toEqual([
          e4.id,
          e2.id,
        ]);
        expect(
          (await webhooks.listDeliveries(bystander.id, { limit: 100 })).every(
            (d) => d.status === "delivered",
          ),
        ).toBe(true);
        expect(await webhooks.listDeliveries(newId("wh"), { limit: 100 })).toEqual([]);
      });

      it("findDelivery() returns null for an unknown event, and for an event the webhook did not get", async () => {
        const revokedOnly = (await fx.createWebhook(project.id, { events: ["key.revoked"] })).record;
        const event = await append("key.created");
        expect(await webhooks.findDelivery(revokedOnly.id, event.id)).toBeNull();
        expect(await webhooks.findDelivery(revokedOnly.id, newId("evt"))).toBeNull();
        expect(await webhooks.findDelivery(newId("wh"), event.id)).toBeNull();
      });
    });

    describe("retryDelivery()", () => {
      let webhook: NewWebhook;
      let event: NewEvent;

      beforeEach(async () => {
        webhook = await fx.createWebhook(project.id);
        event = await append();
      });

      for (const finalStatus of ["failed", "delivered"] as const) {
        it(`makes a ${finalStatus} delivery pending again, due now, with a fresh retry window`, async () => {
          await settle(NOW, () => ({ status: finalStatus }));
          const before = (await webhooks.findDelivery(webhook.record.id, event.id)) as DeliveryRecord;
          expect(before.status).toBe(finalStatus);
          const retriedAt = NOW + DAY_MS;
          const retried = await webhooks.retryDelivery(webhook.record.id, event.id, retriedAt);
          expect(retried).toEqual({
            ...before,
            status: "pending",
            nextAttemptAt: retriedAt,
            deliveredAt: null,
          });
          expect(await webhooks.findDelivery(webhook.record.id, event.id)).toEqual(retried);
          expect(await claim(retriedAt - 1)).toEqual([]);
          expect(await claim(retriedAt)).toEqual([claimOf(webhook, event, 2, retriedAt)]);
        });
      }

      it("leaves a pending delivery as it is", async () => {
        const [claimed] = await claim(NOW);
        const before = await webhooks.findDelivery(webhook.record.id, event.id);
        expect(await webhooks.retryDelivery(webhook.record.id, event.id, NOW + 1)).toEqual(before);
        // Its lease and retry window are untouched too.
        expect(await claim(NOW + 1)).toEqual([]);
        expect(await claim(NOW + LEASE_MS)).toEqual([claimOf(webhook, event, 2, event.createdAt)]);
        expect(claimed?.attempt).toBe(1);
      });

      it("returns null when there is no such delivery", async () => {
        expect(await webhooks.retryDelivery(webhook.record.id, newId("evt"), NOW)).toBeNull();
        expect(await webhooks.retryDelivery(newId("wh"), event.id, NOW)).toBeNull();
      });
    });

    describe("pruneEvents()", () => {
      it("deletes events older than beforeMs whose deliveries are all finished, and keeps the rest", async () => {
        const cutoff = T0 + DAY_MS;
        const a = (await fx.createWebhook(project.id)).record;
        const b = (await fx.createWebhook(project.id, { events: ["key.revoked"] })).record;
        const delivered = await append("key.created", T0 + 10);
        const failed = await append("key.created", T0 + 20);
        const unheard = fx.makeEvent(other.id, "key.created", { createdAt: T0 + 30 });
        await webhooks.appendEvents([unheard]);
        const pending = await append("key.created", T0 + 40);
        const halfDone = await append("key.revoked", T0 + 50);
        const young = await append("key.created", cutoff);
        await settle(NOW, (c) => {
          if (c.eventId === delivered.id) return { status: "delivered" };
          if (c.eventId === failed.id) return { status: "failed" };
          if (c.eventId === halfDone.id && c.webhookId === a.id) return { status: "delivered" };
          if (c.eventId === young.id) return { status: "delivered" };
          return { status: "pending", nextAttemptAt: NOW + DAY_MS };
        });

        expect(await webhooks.pruneEvents(cutoff)).toBe(3);
        expect(ids(await webhooks.listDeliveries(a.id, { limit: 100 }))).toEqual([
          young.id,
          halfDone.id,
          pending.id,
        ]);
        expect(ids(await webhooks.listDeliveries(b.id, { limit: 100 }))).toEqual([halfDone.id]);
        expect(await webhooks.findDelivery(a.id, delivered.id)).toBeNull();
        expect(await webhooks.pruneEvents(cutoff)).toBe(0);

        // Once its last delivery is finished, an old event goes too.
        await settle(NOW + DAY_MS, () => ({ status: "delivered" }));
        expect(await webhooks.pruneEvents(cutoff)).toBe(2);
        expect(ids(await webhooks.listDeliveries(a.id, { limit: 100 }))).toEqual([young.id]);
        expect(await webhooks.listDeliveries(b.id, { limit: 100 })).toEqual([]);
      });
    });

    describe("countPendingDeliveries()", () => {
      it("counts due, leased, retrying and disabled webhooks' deliveries, never delivered or failed ones", async () => {
        expect(await webhooks.countPendingDeliveries()).toBe(0);
        const a = (await fx.createWebhook(project.id)).record;
        const b = (await fx.createWebhook(project.id)).record;
        const elsewhere = (await fx.createWebhook(other.id)).record;
        const first = await append();
        const second = await append();
        await append();
        await webhooks.appendEvents([fx.makeEvent(other.id, "key.created")]);
        // Three events for two webhooks, and one for the other project's webhook.
        expect(await webhooks.countPendingDeliveries()).toBe(7);

        const outcomes = new Map<string, DeliveryResult["outcome"]>([
          [`${first.id} ${a.id}`, { status: "delivered" }],
          [`${first.id} ${b.id}`, { status: "failed" }],
          [`${second.id} ${a.id}`, { status: "pending", nextAttemptAt: NOW + DAY_MS }],
        ]);
        const claimed = await claim(NOW);
        for (const c of claimed) {
          const outcome = outcomes.get(`${c.eventId} ${c.webhookId}`);
          if (outcome !== undefined) await finish(c, attemptOf(c, NOW), outcome);
        }
        // Leased (claimed, unfinished) and retrying deliveries are still in the queue.
        expect(await webhooks.countPendingDeliveries()).toBe(5);

        await webhooks.updateWebhook(elsewhere.id, { enabled: false }, NOW);
        expect(await webhooks.countPendingDeliveries()).toBe(5);
        await webhooks.deleteWebhook(b.id);
        expect(await webhooks.countPendingDeliveries()).toBe(3);
      });
    });
  });
}

function ids(records: readonly { id: string }[]): string[] {
  return records.map((r) => r.id);
}
