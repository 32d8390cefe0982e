import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { newId } from "@keyward/core/ids.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../test/support/webhook-receiver.js";
import { WEBHOOK_USER_AGENT } from "../instance.js";
import { sealSecret } from "../kms/envelope.js";
import { LocalKms } from "../kms/local-kms.js";
import type { Principal } from "../services/principal.js";
import { ProjectService } from "../services/project-service.js";
import { WebhookService, webhookSecretContext } from "../services/webhook-service.js";
import type { NewEvent } from "../store/records.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Stores } from "../store/stores.js";
import type { DeliveryRecord } from "../store/webhook-store.js";
import { WebhookDeliveryWorker, type WebhookDeliveryWorkerOptions } from "./delivery-worker.js";
import { DEFAULT_RETRY_SCHEDULE } from "./retry-schedule.js";
import { generateWebhookSecret } from "./webhook-secret.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const HOUR_MS = 3_600_000;

/** A receiver that records requests and answers only when the test says so (or never). */
interface HoldingServer {
  url: string;
  held: ServerResponse[];
  /** Resolves once `n` requests have arrived; rejects after 10 s. */
  arrived(n: number): Promise<void>;
  /** Answers the held requests with 200, and every later one at once. */
  answerAll(): void;
  close(): Promise<void>;
}

async function startHoldingServer(): Promise<HoldingServer> {
  const held: ServerResponse[] = [];
  const listeners = new Set<() => void>();
  let answering = false;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      held.push(res);
      if (answering) res.end();
      for (const listener of listeners) listener();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hold`,
    held,
    arrived(n) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`arrived(): ${held.length} of ${n} requests within 10 s.`));
        }, 10_000);
        function check(): void {
          if (held.length < n) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        }
        listeners.add(check);
        check();
      });
    },
    answerAll() {
      answering = true;
      for (const res of held) if (!res.writableEnded) res.end();
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let stores: Stores;
let clock: ManualClock;
let kms: LocalKms;
let webhooks: WebhookService;
let projectId: string;
let errors: unknown[];
let workers: WebhookDeliveryWorker[];
let cleanups: Array<() => Promise<void>>;

beforeEach(async () => {
  stores = openSqliteStores({ path: ":memory:" });
  await stores.keys.migrate();
  // Near the real time: the standardwebhooks verifier refuses timestamps more than 5 minutes off Date.now().
  clock = new ManualClock(Date.now());
  kms = new LocalKms(randomBytes(32));
  const projects = new ProjectService({ store: stores.keys, clock, defaultProjectId: async () => null });
  projectId = (await projects.createProject(root, { name: "p" })).id;
  webhooks = new WebhookService({ store: stores.webhooks, projects, kms, clock, allowInsecureHttp: false });
  errors = [];
  workers = [];
  cleanups = [];
});

afterEach(async () => {
  for (const worker of workers) await worker.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await stores.keys.close();
});

function newWorker(options: Partial<WebhookDeliveryWorkerOptions> = {}): WebhookDeliveryWorker {
  const worker = new WebhookDeliveryWorker({
    store: stores.webhooks,
    kms,
    clock,
    concurrency: 4,
    timeoutMs: 5_000,
    pollIntervalMs: 600_000,
    schedule: DEFAULT_RETRY_SCHEDULE,
    userAgent: WEBHOOK_USER_AGENT,
    onError: (error) => errors.push(error),
    // The test process's own load must not switch the worker into its busy mode, except where a test says so.
    isBusy: () => false,
    ...options,
  });
  workers.push(worker);
  return worker;
}

async function receiver(options: Parameters<typeof startWebhookReceiver>[0] = {}): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(options);
  cleanups.push(() => started.close());
  return started;
}

async function holdingServer(): Promise<HoldingServer> {
  const started = await startHoldingServer();
  cleanups.push(() => started.close());
  return started;
}

async function subscribe(url: string, events = ["*"]): Promise<{ id: string; secret: string }> {
  const { secret, record } = await webhooks.createWebhook(root, { projectId, url, events });
  return { id: record.id, secret };
}

/** Writes one event at the clock's time, as a key change would. */
async function appendEvent(type = "key.created", n = 0): Promise<NewEvent> {
  const now = clock.now();
  const event: NewEvent = {
    id: newId("evt", { now }),
    projectId,
    type,
    keyId: null,
    payload: JSON.stringify({ type, timestamp: new Date(now).toISOString(), data: { n } }),
    createdAt: now,
  };
  await stores.webhooks.appendEvents([event]);
  return event;
}

/** A webhook written straight to the store, with whatever sealed secret the test needs. */
async function createRawWebhook(id: string, url: string, sealedSecret: string): Promise<void> {
  const now = clock.now();
  await stores.webhooks.createWebhook({
    record: {
      id,
      projectId,
      url,
      description: null,
      events: ["*"],
      enabled: true,
      createdAt: now,
      updatedAt: now,
    },
    sealedSecret,
  });
}

async function deliveryOf(webhookId: string, eventId: string): Promise<DeliveryRecord> {
  const delivery = await stores.webhooks.findDelivery(webhookId, eventId);
  if (delivery === null) throw new Error(`no delivery of ${eventId} to ${webhookId}`);
  return delivery;
}

/** A seeded generator in [0, 1), so the jitter differs between attempts but the test does not. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("WebhookDeliveryWorker: signed delivery", () => {
  it("POSTs the event exactly as stored, signed so that the official standardwebhooks verifier accepts it", async () => {
    const rx = await receiver();
    const webhook = await subscribe(rx.url);
    const event = await appendEvent("key.created", 42);

    expect(await newWorker().runOnce()).toBe(1);
    expect(rx.received).toHaveLength(1);
    const [request] = rx.received;
    if (request === undefined) throw new Error("nothing arrived");
    expect(request.body).toBe(event.payload);
    expect(new Webhook(webhook.secret).verify(request.body, request.headers)).toEqual(
      JSON.parse(event.payload),
    );
    expect(request.headers).toMatchObject({
      "webhook-id": event.id,
      "webhook-timestamp": String(Math.floor(clock.now() / 1000)),
      "content-type": "application/json",
      "user-agent": WEBHOOK_USER_AGENT,
    });
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    // The signature covers the body and the id, and only this webhook's secret produces it.
    const verifier = new Webhook(webhook.secret);
    expect(() => verifier.verify(request.body.replace("42", "43"), request.headers)).toThrow();
    expect(() => verifier.verify(request.body, { ...request.headers, "webhook-id": "evt_other" })).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(request.body, request.headers)).toThrow();

    const delivery = await deliveryOf(webhook.id, event.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, nextAttemptAt: null });
    expect(delivery.deliveredAt).toBeGreaterThanOrEqual(clock.now());
    expect(delivery.attemptLog).toEqual([
      {
        attempt: 1,
        attemptedAt: clock.now(),
        durationMs: expect.any(Number),
        statusCode: 200,
        error: null,
        responseBody: expect.toBeOneOf([null, ""]),
      },
    ]);
    expect(errors).toEqual([]);
  });

  it("sends only to enabled webhooks of the project that subscribe to the event's type (or *)", async () => {
    const rx = await receiver();
    const all = await subscribe(rx.url, ["*"]);
    const created = await subscribe(rx.url, ["key.created"]);
    await subscribe(rx.url, ["key.revoked"]);
    const disabled = await subscribe(rx.url, ["*"]);
    await webhooks.updateWebhook(root, disabled.id, { enabled: false });
    const event = await appendEvent("key.created");

    expect(await newWorker().runOnce()).toBe(2);
    const signedFor = rx.received.map((r) =>
      [all, created].find((w) => {
        try {
          new Webhook(w.secret).verify(r.body, r.headers);
          return true;
        } catch {
          return false;
        }
      }),
    );
    expect(signedFor.map((w) => w?.id).sort()).toEqual([all.id, created.id].sort());
    expect(rx.received.every((r) => r.headers["webhook-id"] === event.id)).toBe(true);
  });

  it("holds deliveries of a webhook disabled after the event, and sends them once it is enabled again", async () => {
    const rx = await receiver();
    const webhook = await subscribe(rx.url);
    const event = await appendEvent();
    await webhooks.updateWebhook(root, webhook.id, { enabled: false });
    const worker = newWorker();
    expect(await worker.runOnce()).toBe(0);
    await webhooks.updateWebhook(root, webhook.id, { enabled: true });
    expect(await worker.runOnce()).toBe(1);
    expect((await deliveryOf(webhook.id, event.id)).status).toBe("delivered");
  });
});

describe("WebhookDeliveryWorker: retries", () => {
  it("retries a failing receiver with growing backoff within the documented bounds, then marks it failed after 24 h", async () => {
    const rx = await receiver({ respond: () => 503 });
    const webhook = await subscribe(rx.url);
    const event = await appendEvent();
    const worker = newWorker({ random: seededRandom(7) });
    const schedule = DEFAULT_RETRY_SCHEDULE;
    const windowEnd = event.createdAt + schedule.giveUpAfterMs;

    const delays: number[] = [];
    let delivery: DeliveryRecord;
    for (let attempt = 1; ; attempt++) {
      expect(await worker.runOnce()).toBe(1);
      const attemptedAt = clock.now();
      delivery = await deliveryOf(webhook.id, event.id);
      expect(delivery.attempts).toBe(attempt);
      expect(delivery.attemptLog.at(-1)).toMatchObject({
        attempt,
        attemptedAt,
        statusCode: 503,
        error: null,
      });
      if (delivery.status === "failed") break;

      expect(delivery.status).toBe("pending");
      const nextAttemptAt = delivery.nextAttemptAt ?? Number.NaN;
      const base = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** (attempt - 1));
      const delay = nextAttemptAt - attemptedAt;
      expect(delay).toBeGreaterThanOrEqual(Math.ceil(base / 2));
      expect(delay).toBeLessThan(base);
      expect(nextAttemptAt).toBeLessThanOrEqual(windowEnd);
      delays.push(delay);

      // Not a millisecond early.
      clock.advance(delay - 1);
      expect(await worker.runOnce()).toBe(0);
      clock.advance(1);
    }

    // Equal jitter keeps consecutive ranges apart, so the waits grow until they reach the one-hour cap.
    const capped = delays.findIndex((delay) => delay >= schedule.maxDelayMs / 2);
    expect(capped).toBeGreaterThan(5);
    for (let i = 1; i < capped; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] ?? 0);
    expect(delays.slice(capped).every((d) => d >= schedule.maxDelayMs / 2 && d < schedule.maxDelayMs)).toBe(
      true,
    );

    // Failed only because even the shortest next wait would have passed the end of the window.
    expect(clock.now()).toBeLessThanOrEqual(windowEnd);
    expect(clock.now() + schedule.maxDelayMs).toBeGreaterThan(windowEnd);
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.attemptLog.every((a) => a.attemptedAt <= windowEnd)).toBe(true);
    expect(rx.received).toHaveLength(delivery.attempts);

    clock.advance(7 * 24 * HOUR_MS);
    expect(await worker.runOnce()).toBe(0);
  });

  it("gives up after the configured window, and a retry by hand opens a fresh one", async () => {
    let status = 500;
    const rx = await receiver({ respond: () => status });
    const webhook = await subscribe(rx.url);
    const event = await appendEvent();
    const schedule = { firstDelayMs: 1_000, maxDelayMs: 10_000, giveUpAfterMs: 60_000 };
    const worker = newWorker({ schedule, random: () => 0.999_999 });

    let delivery = await deliveryOf(webhook.id, event.id);
    while (delivery.status === "pending") {
      clock.advance((delivery.nextAttemptAt ?? clock.now()) - clock.now());
      expect(await worker.runOnce()).toBe(1);
      delivery = await deliveryOf(webhook.id, event.id);
    }
    expect(delivery.status).toBe("failed");
    expect(clock.now() - event.createdAt).toBeLessThanOrEqual(schedule.giveUpAfterMs);
    const attempts = delivery.attempts;

    status = 204;
    clock.advance(HOUR_MS);
    const retried = await webhooks.retryDelivery(root, webhook.id, event.id);
    expect(retried).toMatchObject({ status: "pending", nextAttemptAt: clock.now() });
    expect(await worker.runOnce()).toBe(1);
    expect(await deliveryOf(webhook.id, event.id)).toMatchObject({
      status: "delivered",
      attempts: attempts + 1,
    });
  });

  it("records a response body and a status for a non-2xx answer", async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 429;
      res.end("slow down");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const webhook = await subscribe(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const event = await appendEvent();
    await newWorker().runOnce();
    const delivery = await deliveryOf(webhook.id, event.id);
    expect(delivery.status).toBe("pending");
    expect(delivery.attemptLog).toEqual([
      expect.objectContaining({ statusCode: 429, error: null, responseBody: "slow down" }),
    ]);
  });
});

describe("WebhookDeliveryWorker: slow and dead receivers", () => {
  it("times out a receiver that never answers and schedules a retry", async () => {
    const hanging = await holdingServer();
    const webhook = await subscribe(hanging.url);
    const event = await appendEvent();
    const worker = newWorker({ timeoutMs: 100 });

    expect(await worker.runOnce()).toBe(1);
    expect(hanging.held).toHaveLength(1);
    const delivery = await deliveryOf(webhook.id, event.id);
    expect(delivery.status).toBe("pending");
    expect(delivery.nextAttemptAt).toBeGreaterThan(clock.now());
    expect(delivery.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, error: "timeout", responseBody: null }),
    ]);
    expect(errors).toEqual([]);
  });

  it("keeps delivering to other receivers while one hangs: a webhook holds at most half the slots", async () => {
    const hanging = await holdingServer();
    const rx = await receiver();
    const slow = await subscribe(hanging.url, ["*"]);
    const stuck = await appendEvent("key.revoked");
    // Registered after the first event, so that one goes to the hanging receiver alone.
    await subscribe(rx.url, ["key.created"]);
    for (let n = 1; n <= 5; n++) {
      clock.advance(1);
      await appendEvent("key.created", n);
    }
    const worker = newWorker({ concurrency: 4, timeoutMs: 60_000 });
    worker.start();

    // Six deliveries are due to the hanging receiver and five to the healthy one: the hanging one gets two slots.
    await rx.waitFor((all) => all.length === 5);
    await hanging.arrived(2);
    expect(hanging.held).toHaveLength(2);
    expect(hanging.held.every((res) => !res.writableEnded)).toBe(true);
    expect((await deliveryOf(slow.id, stuck.id)).attemptLog).toEqual([]);

    // Answer, so the rest of its backlog follows without waiting for the poll, and stop() for no timeout.
    hanging.answerAll();
    await hanging.arrived(6);
    await worker.stop();
    const delivered = await stores.webhooks.listDeliveries(slow.id, { limit: 10, status: "delivered" });
    expect(delivered).toHaveLength(6);
  });

  it("works through one webhook's backlog without waiting for the poll, one share of the slots at a time", async () => {
    const rx = await receiver();
    await subscribe(rx.url);
    for (let n = 0; n < 20; n++) await appendEvent("key.created", n);
    const worker = newWorker({ concurrency: 2, pollIntervalMs: 600_000 });
    worker.start();
    await rx.waitFor((all) => all.length === 20);
    await worker.stop();
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(20);
  });

  it("lets another worker retry a delivery whose worker died mid-attempt once its lease runs out", async () => {
    const rx = await receiver();
    const webhook = await subscribe(rx.url);
    const event = await appendEvent();
    const leaseUntil = clock.now() + 15_000;
    // The crashed worker: it claimed the delivery and never finished it.
    const [crashed] = await stores.webhooks.claimDeliveries({
      nowMs: clock.now(),
      leaseUntilMs: leaseUntil,
      limit: 10,
    });
    expect(crashed?.attempt).toBe(1);

    const survivor = newWorker();
    expect(await survivor.runOnce()).toBe(0);
    clock.advance(leaseUntil - 1 - clock.now());
    expect(await survivor.runOnce()).toBe(0);
    clock.advance(1);
    expect(await survivor.runOnce()).toBe(1);
    expect(rx.received).toHaveLength(1);
    expect(
      new Webhook(webhook.secret).verify(rx.received[0]?.body ?? "", rx.received[0]?.headers ?? {}),
    ).toEqual(JSON.parse(event.payload));
    let delivery = await deliveryOf(webhook.id, event.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 2 });
    expect(delivery.attemptLog.map((a) => a.attempt)).toEqual([2]);

    // Should the first worker come back and report, its late result is history, not the delivery's state.
    await stores.webhooks.finishDelivery({
      webhookId: webhook.id,
      eventId: event.id,
      attempt: {
        attempt: 1,
        attemptedAt: clock.now(),
        durationMs: 1,
        statusCode: 500,
        error: null,
        responseBody: null,
      },
      outcome: { status: "pending", nextAttemptAt: clock.now() },
    });
    delivery = await deliveryOf(webhook.id, event.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 2 });
    expect(delivery.attemptLog.map((a) => a.attempt)).toEqual([1, 2]);
    expect(await survivor.runOnce()).toBe(0);
  });

  it("never lets two workers hold one delivery at once", async () => {
    const rx = await receiver();
    await subscribe(rx.url);
    for (let n = 0; n < 30; n++) await appendEvent("key.created", n);
    const one = newWorker({ concurrency: 7 });
    const two = newWorker({ concurrency: 5 });
    let sent = 0;
    for (;;) {
      const counts = await Promise.all([one.runOnce(), two.runOnce(), one.runOnce()]);
      const total = counts.reduce((sum, n) => sum + n, 0);
      if (total === 0) break;
      sent += total;
    }
    expect(sent).toBe(30);
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(30);
    expect(rx.received).toHaveLength(30);
  });
});

describe("WebhookDeliveryWorker: start(), wake() and stop()", () => {
  it("stop() waits for a delivery in flight and records its outcome", async () => {
    const held = await holdingServer();
    const webhook = await subscribe(held.url);
    const event = await appendEvent();
    const worker = newWorker();
    worker.start();
    await held.arrived(1);

    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(stopped).toBe(false);

    held.held[0]?.end();
    await stopping;
    expect(await deliveryOf(webhook.id, event.id)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("wake() sends a new event at once instead of at the next poll", async () => {
    const rx = await receiver();
    await subscribe(rx.url);
    const worker = newWorker({ pollIntervalMs: 600_000 });
    worker.start();
    // The first pump finds nothing; the next poll is ten minutes away.
    for (let i = 0; i < 5; i++) await nextTurn();
    const event = await appendEvent();
    worker.wake();
    await rx.waitFor((all) => all.some((r) => r.headers["webhook-id"] === event.id));
  });

  it("does nothing on wake() before start() or after stop()", async () => {
    const rx = await receiver();
    const webhook = await subscribe(rx.url);
    const event = await appendEvent();
    const worker = newWorker();
    worker.wake();
    await worker.stop();
    worker.wake();
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(rx.received).toEqual([]);
    expect((await deliveryOf(webhook.id, event.id)).attempts).toBe(0);
  });
});

describe("WebhookDeliveryWorker: secrets that do not open", () => {
  it("reports a secret sealed under another master key via onError, sends nothing, and still serves other webhooks", async () => {
    const rx = await receiver();
    const good = await subscribe(rx.url);
    const otherKms = new LocalKms(randomBytes(32));
    const secret = generateWebhookSecret();
    const badId = newId("wh", { now: clock.now() });
    const sealed = await sealSecret(otherKms, Buffer.from(secret, "utf8"), webhookSecretContext(badId));
    await createRawWebhook(badId, rx.url, JSON.stringify(sealed));
    const event = await appendEvent();

    expect(await newWorker().runOnce()).toBe(2);
    expect(rx.received).toHaveLength(1);
    expect(
      new Webhook(good.secret).verify(rx.received[0]?.body ?? "", rx.received[0]?.headers ?? {}),
    ).toBeTruthy();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KeywardError);
    expect((errors[0] as KeywardError).code).toBe("DECRYPTION_FAILED");
    expect(String((errors[0] as Error).message)).not.toContain(secret.slice(6));

    const delivery = await deliveryOf(badId, event.id);
    expect(delivery.status).toBe("pending");
    expect(delivery.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, error: "signing secret unavailable" }),
    ]);
  });

  it("refuses a sealed secret copied from another webhook, since the secret is bound to its webhook id", async () => {
    const rx = await receiver();
    const original = await subscribe(rx.url);
    await appendEvent();
    // Reading the original's sealed secret the only way the store hands it out: with a claimed delivery.
    const [claimed] = await stores.webhooks.claimDeliveries({
      nowMs: clock.now(),
      leaseUntilMs: clock.now(),
      limit: 1,
    });
    await webhooks.deleteWebhook(root, original.id);
    const copyId = newId("wh", { now: clock.now() });
    await createRawWebhook(copyId, rx.url, claimed?.sealedSecret ?? "");
    clock.advance(1);
    const event = await appendEvent();

    expect(await newWorker().runOnce()).toBe(1);
    expect(rx.received).toEqual([]);
    expect((errors[0] as KeywardError).code).toBe("DECRYPTION_FAILED");
    expect((await deliveryOf(copyId, event.id)).status).toBe("pending");
  });

  it("keeps to the retry schedule and marks the delivery failed when the window ends", async () => {
    const rx = await receiver();
    const badId = newId("wh", { now: clock.now() });
    await createRawWebhook(badId, rx.url, JSON.stringify({ v: 1, kid: "x", dek: "AAAA", ct: "AAAA" }));
    const event = await appendEvent();
    const worker = newWorker({
      schedule: { firstDelayMs: 1_000, maxDelayMs: 10_000, giveUpAfterMs: 60_000 },
    });
    let delivery = await deliveryOf(badId, event.id);
    while (delivery.status === "pending") {
      clock.advance((delivery.nextAttemptAt ?? clock.now()) - clock.now());
      expect(await worker.runOnce()).toBe(1);
      delivery = await deliveryOf(badId, event.id);
    }
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts).toBeGreaterThan(3);
    expect(delivery.attemptLog).toHaveLength(delivery.attempts);
    expect(errors).toHaveLength(delivery.attempts);
    expect(rx.received).toEqual([]);
  });
});

describe("WebhookDeliveryWorker: instances", () => {
  let t: TestApp | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("sends a key change as soon as it happens, without waiting for the poll", async () => {
    t = await createTestApp({ env: { KEYWARD_WEBHOOK_POLL_MS: "600000" } });
    const rx = await receiver();
    await t.instance.webhooks.createWebhook(root, { url: rx.url, events: ["key.created", "key.rotated"] });
    t.instance.deliveries.start();
    const { record } = await t.instance.keys.createKey(root, {});
    await rx.waitFor((all) => all.some((r) => JSON.parse(r.body).type === "key.created"));
    await t.instance.keys.rotateKey(root, record.id, {});
    // A rotation writes key.created for the replacement and key.rotated for the old key.
    await rx.waitFor((all) => all.length === 3);
    expect(rx.received.map((r) => JSON.parse(r.body).type).sort()).toEqual([
      "key.created",
      "key.created",
      "key.rotated",
    ]);
  });

  it("two started workers on one store file send each of 100 events exactly once", async () => {
    dir = mkdtempSync(join(tmpdir(), "keyward-worker-"));
    const path = join(dir, "keyward.db");
    const rx = await receiver();
    const first = openSqliteStores({ path });
    await first.keys.migrate();
    const second = openSqliteStores({ path });
    cleanups.push(
      () => second.keys.close(),
      () => first.keys.close(),
    );
    const projects = new ProjectService({ store: first.keys, clock, defaultProjectId: async () => null });
    const project = await projects.createProject(root, { name: "shared" });
    const service = new WebhookService({
      store: first.webhooks,
      projects,
      kms,
      clock,
      allowInsecureHttp: false,
    });
    await service.createWebhook(root, { projectId: project.id, url: rx.url, events: ["*"] });

    const workerOf = (s: Stores) => newWorker({ store: s.webhooks, concurrency: 3 });
    const a = workerOf(first);
    const b = workerOf(second);
    a.start();
    b.start();
    for (let n = 0; n < 100; n++) {
      const now = clock.now();
      await (n % 2 === 0 ? first : second).webhooks.appendEvents([
        {
          id: newId("evt", { now }),
          projectId: project.id,
          type: "key.updated",
          keyId: null,
          payload: JSON.stringify({
            type: "key.updated",
            timestamp: new Date(now).toISOString(),
            data: { n },
          }),
          createdAt: now,
        },
      ]);
      (n % 2 === 0 ? a : b).wake();
    }
    await rx.waitFor((all) => all.length >= 100);
    await a.stop();
    await b.stop();
    expect(rx.received).toHaveLength(100);
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(100);
  });
});

describe("WebhookDeliveryWorker: while the process is busy", () => {
  it("starts one delivery per pause, however many are due, and all of them once the process is idle", async () => {
    const held = await holdingServer();
    await subscribe(held.url);
    for (let i = 0; i < 4; i++) await appendEvent("key.created", i);
    let busy = true;
    // A pause far longer than the test: only the first delivery may start while busy.
    const worker = newWorker({ concurrency: 8, isBusy: () => busy, busyPauseMs: 600_000 });
    worker.start();
    await held.arrived(1);
    for (let i = 0; i < 20; i++) await nextTurn();
    worker.wake();
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(held.held).toHaveLength(1);
    busy = false;
    worker.wake();
    // Idle: the rest start at once, up to the webhook's share of the slots (4 of 8), the held one included.
    await held.arrived(4);
    held.answerAll();
  });

  it("does not let a delivery stuck on a hanging receiver stop the others while busy", async () => {
    const held = await holdingServer();
    const fast = await receiver();
    await subscribe(held.url);
    const event = await appendEvent("key.created");
    const worker = newWorker({ concurrency: 8, isBusy: () => true, busyPauseMs: 0 });
    worker.start();
    await held.arrived(1);
    await subscribe(fast.url);
    const second = await appendEvent("key.revoked", 1);
    worker.wake();
    await fast.waitFor((all) => all.some((r) => r.headers["webhook-id"] === second.id));
    expect(fast.received.map((r) => r.headers["webhook-id"])).not.toContain(event.id);
    held.answerAll();
  });
});
