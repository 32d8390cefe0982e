import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKey, expectProblem } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../../../../test/support/webhook-receiver.js";

const HOUR_MS = 3_600_000;

let t: TestApp;
let receiver: WebhookReceiver;
/** The status the receiver answers with; tests change it. */
let answer: number;

beforeEach(async () => {
  t = await createTestApp();
  // The Standard Webhooks verifier checks webhook-timestamp against the real clock (5 minutes of tolerance), and
  // the worker signs with the instance's clock: start the manual clock at real time.
  t.clock.advance(Date.now() - t.clock.now());
  answer = 200;
  receiver = await startWebhookReceiver({ respond: () => answer });
});
afterEach(async () => {
  await receiver.close();
  await t.close();
});

interface Delivery {
  id: string;
  webhookId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  attemptLog: Array<{
    attempt: number;
    attemptedAt: string;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
    responseBody: string | null;
  }>;
}

async function createWebhook(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await t.request("POST", "/v1/webhooks", { url: receiver.url, events: ["*"], ...body });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as { id: string; secret: string };
}

/** Runs the delivery worker until nothing is due now; returns how many attempts it made. */
async function deliverDue(): Promise<number> {
  let total = 0;
  for (
    let sent = await t.instance.deliveries.runOnce();
    sent > 0;
    sent = await t.instance.deliveries.runOnce()
  ) {
    total += sent;
  }
  return total;
}

async function listDeliveries(webhookId: string, query = ""): Promise<Delivery[]> {
  const res = await t.request("GET", `/v1/webhooks/${webhookId}/deliveries${query}`);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return (res.json() as { items: Delivery[] }).items;
}

describe("webhook deliveries", () => {
  it("sends each key event, signed so that the official Standard Webhooks verifier accepts it", async () => {
    const webhook = await createWebhook();
    const key = await createKey(t, { name: "signed" });
    t.clock.advance(1);
    const rotated = await t.request("POST", `/v1/keys/${key.id}/rotate`, { gracePeriodSeconds: 60 });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const replacement = rotated.json() as { id: string };
    t.clock.advance(1);
    const revoked = await t.request("POST", `/v1/keys/${replacement.id}/revoke`, { reason: "test" });
    expect(revoked.statusCode, revoked.body).toBe(200);

    expect(await deliverDue()).toBe(4);
    expect(receiver.received).toHaveLength(4);
    const verifier = new Webhook(webhook.secret);
    const events = receiver.received.map((req) => {
      expect(req.headers["content-type"]).toMatch(/^application\/json/);
      expect(req.headers["user-agent"]).toMatch(/^Keyward-Webhooks\/1\.0/);
      expect(req.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const payload = verifier.verify(req.body, req.headers) as {
        type: string;
        timestamp: string;
        data: { key: Record<string, unknown> };
      };
      expect(JSON.parse(req.body)).toEqual(payload);
      expect(req.body).not.toContain(key.key);
      return { id: req.headers["webhook-id"], type: payload.type, keyId: payload.data.key.id };
    });
    expect(events.map((e) => `${e.type} ${e.keyId}`).sort()).toEqual(
      [
        `key.created ${key.id}`,
        `key.created ${replacement.id}`,
        `key.revoked ${replacement.id}`,
        `key.rotated ${key.id}`,
      ].sort(),
    );

    const deliveries = await listDeliveries(webhook.id);
    expect(deliveries).toHaveLength(4);
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set(events.map((e) => e.id)));
    const ids = deliveries.map((d) => d.id);
    expect(ids, "newest first").toEqual([...ids].sort().reverse());
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({
        webhookId: webhook.id,
        status: "delivered",
        attempts: 1,
        nextAttemptAt: null,
        deliveredAt: expect.any(String),
      });
      expect(delivery.id).toMatch(/^evt_/);
      expect(delivery.attemptLog).toEqual([
        {
          attempt: 1,
          attemptedAt: new Date(t.clock.now()).toISOString(),
          durationMs: expect.any(Number),
          statusCode: 200,
          error: null,
          responseBody: expect.toSatisfy((body: unknown) => body === null || body === ""),
        },
      ]);
    }
  });

  it("sends a webhook only the event types it subscribes to", async () => {
    const revocations = await createWebhook({ events: ["key.revoked"] });
    const key = await createKey(t);
    await t.request("POST", `/v1/keys/${key.id}/revoke`, {});
    await deliverDue();
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(["key.revoked"]);
    expect((await listDeliveries(revocations.id)).map((d) => d.eventType)).toEqual(["key.revoked"]);
  });

  it("keeps a delivery pending after a 500, marks it failed when the retry window is over, and retries it by hand", async () => {
    answer = 500;
    const webhook = await createWebhook();
    await createKey(t);
    expect(await deliverDue()).toBe(1);

    const [pending] = await listDeliveries(webhook.id);
    expect(pending).toMatchObject({ status: "pending", attempts: 1, deliveredAt: null });
    expect(Date.parse(pending?.nextAttemptAt ?? "")).toBeGreaterThan(t.clock.now());
    expect(pending?.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 500, error: null }),
    ]);
    expect(await listDeliveries(webhook.id, "?status=delivered")).toEqual([]);
    expect(await listDeliveries(webhook.id, "?status=pending")).toHaveLength(1);

    t.clock.advance(25 * HOUR_MS);
    expect(await deliverDue()).toBe(1);
    const [failed] = await listDeliveries(webhook.id, "?status=failed");
    expect(failed).toMatchObject({ id: pending?.id, status: "failed", attempts: 2, nextAttemptAt: null });
    expect(failed?.attemptLog.map((a) => a.statusCode)).toEqual([500, 500]);
    expect(await deliverDue(), "a failed delivery is not retried by itself").toBe(0);

    answer = 200;
    const retried = await t.request("POST", `/v1/webhooks/${webhook.id}/deliveries/${pending?.id}/retry`);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({
      id: pending?.id,
      status: "pending",
      nextAttemptAt: new Date(t.clock.now()).toISOString(),
    });
    expect(await deliverDue()).toBe(1);
    const [delivered] = await listDeliveries(webhook.id);
    expect(delivered).toMatchObject({ id: pending?.id, status: "delivered", attempts: 3 });
    expect(delivered?.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([
      pending?.id,
      pending?.id,
      pending?.id,
    ]);
  });

  it("retries a delivered event, sending it again with the same webhook-id", async () => {
    const webhook = await createWebhook();
    await createKey(t);
    await deliverDue();
    const [delivered] = await listDeliveries(webhook.id);
    const res = await t.request("POST", `/v1/webhooks/${webhook.id}/deliveries/${delivered?.id}/retry`, {});
    expect(res.json()).toMatchObject({ status: "pending" });
    expect(await deliverDue()).toBe(1);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([delivered?.id, delivered?.id]);
    expect(receiver.received[0]?.body).toBe(receiver.received[1]?.body);
  });

  it("queues nothing for a disabled webhook", async () => {
    const webhook = await createWebhook({ enabled: false });
    await createKey(t);
    expect(await deliverDue()).toBe(0);
    expect(await listDeliveries(webhook.id)).toEqual([]);
  });

  it("answers 404 for a delivery the webhook does not have", async () => {
    const webhook = await createWebhook();
    const other = await createWebhook({ events: ["key.revoked"] });
    await createKey(t);
    const [delivery] = await listDeliveries(webhook.id);
    expectProblem(
      await t.request("POST", `/v1/webhooks/${other.id}/deliveries/${delivery?.id}/retry`),
      404,
      "NOT_FOUND",
    );
  });
});
