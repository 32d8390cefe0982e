import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreatedKey, createKey, createProject } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import type { Principal } from "../../../../services/principal.js";
import type { ClaimedDelivery } from "../../../../store/webhook-store.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const ROOT: Principal = { tokenId: "test-root", permissions: ["*"], projectIds: null };

interface EventPayload {
  type: string;
  timestamp: string;
  data: { key: Record<string, unknown>; [field: string]: unknown };
}

/** A project with a webhook subscribed to `events`. */
async function projectWithWebhook(
  events: string[] = ["*"],
): Promise<{ projectId: string; webhookId: string }> {
  const projectId = await createProject(t, { name: "evented" });
  const { record } = await t.instance.webhooks.createWebhook(ROOT, {
    projectId,
    url: "https://hooks.example.com/keyward",
    events,
  });
  return { projectId, webhookId: record.id };
}

/**
 * Everything due for delivery now, leased for good so the next call returns only what was queued since; the
 * manual clock never reaches the lease's end.
 */
async function claimAll(): Promise<ClaimedDelivery[]> {
  return t.instance.stores.webhooks.claimDeliveries({
    nowMs: t.clock.now(),
    leaseUntilMs: Number.MAX_SAFE_INTEGER,
    limit: 10_000,
  });
}

/**
 * The deliveries queued for one webhook since the last claim, as [type, payload], sorted by type: events of one
 * change share their instant, so their ids do not order them.
 */
async function queuedFor(webhookId: string): Promise<Array<[string, EventPayload]>> {
  return (await claimAll())
    .filter((delivery) => delivery.webhookId === webhookId)
    .map((delivery): [string, EventPayload] => [
      delivery.eventType,
      JSON.parse(delivery.payload) as EventPayload,
    ])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function secretsOf(created: CreatedKey): string[] {
  return [created.key, created.key.slice(created.key.lastIndexOf("_") + 1), created.start as string];
}

describe("key events", () => {
  it("queue nothing to deliver while the project has no webhook", async () => {
    await claimAll();
    const projectId = await createProject(t, { name: "quiet" });
    const created = await createKey(t, { projectId, ownerId: "quiet-owner" });
    await t.request("PATCH", `/v1/keys/${created.id}`, { name: "renamed" });
    const rotated = await t.request("POST", `/v1/keys/${created.id}/rotate`, {});
    expect(rotated.statusCode).toBe(201);
    await t.request("POST", "/v1/keys/revoke", { ownerId: "quiet-owner" });
    expect(await claimAll()).toEqual([]);
  });

  it("a rotation queues key.created for the replacement and key.rotated for the old key", async () => {
    const { projectId, webhookId } = await projectWithWebhook();
    const old = await createKey(t, { projectId, name: "rotating", scopes: ["a"] });
    await queuedFor(webhookId);
    t.clock.advance(1_000);
    const res = await t.request("POST", `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 3_600 });
    const rotated = res.json() as CreatedKey;
    const graceEndsAt = new Date(t.clock.now() + 3_600_000).toISOString();

    const queued = await queuedFor(webhookId);
    expect(queued.map(([type]) => type)).toEqual(["key.created", "key.rotated"]);
    const [created, rotatedEvent] = queued.map(([, payload]) => payload);
    expect(created).toMatchObject({
      type: "key.created",
      timestamp: new Date(t.clock.now()).toISOString(),
      data: { key: { id: rotated.id, replaces: old.id, name: "rotating", scopes: ["a"] } },
    });
    expect(rotatedEvent).toMatchObject({
      type: "key.rotated",
      data: {
        key: { id: old.id, replacedBy: rotated.id, expiresAt: graceEndsAt },
        replacedBy: rotated.id,
        graceEndsAt,
      },
    });
    const text = JSON.stringify(queued);
    for (const secret of [...secretsOf(old), ...secretsOf(rotated)]) expect(text).not.toContain(secret);
  });

  it("a refused rotation queues nothing", async () => {
    const { projectId, webhookId } = await projectWithWebhook();
    const old = await createKey(t, { projectId });
    await t.request("POST", `/v1/keys/${old.id}/rotate`, {});
    await queuedFor(webhookId);
    expect((await t.request("POST", `/v1/keys/${old.id}/rotate`, {})).statusCode).toBe(409);
    expect(await queuedFor(webhookId)).toEqual([]);
  });

  it("a bulk revocation queues one key.revoked per key it revoked, and none for keys revoked before", async () => {
    const { projectId, webhookId } = await projectWithWebhook(["key.revoked"]);
    const keys = [
      await createKey(t, { projectId, ownerId: "bulk-evented" }),
      await createKey(t, { projectId, ownerId: "bulk-evented" }),
      await createKey(t, { projectId, ownerId: "bulk-evented" }),
    ];
    const [first] = keys;
    await t.request("POST", `/v1/keys/${first?.id}/revoke`, { reason: "single" });
    expect((await queuedFor(webhookId)).map(([type]) => type)).toEqual(["key.revoked"]);

    const res = await t.request("POST", "/v1/keys/revoke", { ownerId: "bulk-evented", reason: "closed" });
    expect(res.json()).toEqual({ revoked: 2 });
    const queued = await queuedFor(webhookId);
    expect(queued.map(([type]) => type)).toEqual(["key.revoked", "key.revoked"]);
    expect(queued.map(([, payload]) => payload.data.key.id).sort()).toEqual(
      keys
        .slice(1)
        .map((k) => k.id)
        .sort(),
    );
    for (const [, payload] of queued) {
      expect(payload.data.key).toMatchObject({ revokedReason: "closed", revokedAt: expect.any(String) });
    }
  });

  it("a webhook subscribed to other types gets none of these", async () => {
    const { projectId, webhookId } = await projectWithWebhook(["key.expiring"]);
    const created = await createKey(t, { projectId, ownerId: "unsubscribed" });
    await t.request("POST", `/v1/keys/${created.id}/rotate`, {});
    await t.request("POST", "/v1/keys/revoke", { projectId });
    expect(await queuedFor(webhookId)).toEqual([]);
  });

  it("creating and updating a key queue key.created and key.updated", async () => {
    const { projectId, webhookId } = await projectWithWebhook(["key.created", "key.updated"]);
    const created = await createKey(t, { projectId });
    await t.request("PATCH", `/v1/keys/${created.id}`, { enabled: false });
    const queued = await queuedFor(webhookId);
    expect(queued.map(([type]) => type)).toEqual(["key.created", "key.updated"]);
    expect(queued[1]?.[1].data.key).toMatchObject({ id: created.id, enabled: false });
  });
});
