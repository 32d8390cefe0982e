import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../test/support/webhook-receiver.js";
import { parseConfig } from "../config.js";
import { type Instance, openInstance } from "../instance.js";
import { LocalKms } from "../kms/local-kms.js";
import { DEFAULT_PROJECT_SETTING } from "../store/key-store.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Principal } from "./principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const SECOND_MS = 1_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** An event as a subscribed webhook would receive it. */
interface SeenEvent {
  id: string;
  type: string;
  data: {
    key: { id: string; expiresAt: string | null; replacedBy: string | null; revokedReason: string | null };
    [field: string]: unknown;
  };
}

let t: TestApp;
let T0: number;
let projectId: string;

/** Moves the test clock to an instant (forward or back). */
function setTime(ms: number): void {
  t.clock.advance(ms - t.clock.now());
}

/**
 * The events written since the last call: claims every due delivery of the `*` webhook and marks it delivered,
 * which is what a worker would do, without the HTTP.
 */
async function takeEvents(type?: string): Promise<SeenEvent[]> {
  const now = t.clock.now();
  const webhooks = t.instance.stores.webhooks;
  const claimed = await webhooks.claimDeliveries({ nowMs: now, leaseUntilMs: now + HOUR_MS, limit: 10_000 });
  for (const delivery of claimed) {
    await webhooks.finishDelivery({
      webhookId: delivery.webhookId,
      eventId: delivery.eventId,
      attempt: {
        attempt: delivery.attempt,
        attemptedAt: now,
        durationMs: 0,
        statusCode: 200,
        error: null,
        responseBody: null,
      },
      outcome: { status: "delivered" },
    });
  }
  const events = claimed.map((d) => ({ id: d.eventId, ...(JSON.parse(d.payload) as Omit<SeenEvent, "id">) }));
  return type === undefined ? events : events.filter((event) => event.type === type);
}

const keyIdsOf = (events: SeenEvent[]): string[] => events.map((event) => event.data.key.id).sort();

async function setPolicies(policies: Record<string, string | null>, id = projectId): Promise<void> {
  await t.instance.projects.updateProject(root, id, { policies });
}

beforeEach(async () => {
  t = await createTestApp();
  T0 = t.clock.now();
  const defaultProject = await t.instance.store.readInstanceSetting(DEFAULT_PROJECT_SETTING);
  if (defaultProject === null) throw new Error("a fresh store has a default project");
  projectId = defaultProject;
  // Nothing listens there: deliveries are only read through the store, never sent.
  await t.instance.webhooks.createWebhook(root, { url: "http://127.0.0.1:9/unused", events: ["*"] });
});

afterEach(async () => {
  await t.close();
});

describe("LifecycleScheduler.runOnce(): key.expiring", () => {
  it("fires once when expiresAt enters now + 7 days (the default notice), not 1 ms before", async () => {
    const expiresAt = T0 + 30 * DAY_MS;
    const { record } = await t.instance.keys.createKey(root, { expiresAt });
    await takeEvents();

    setTime(expiresAt - 7 * DAY_MS - 1);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);
    expect(await takeEvents()).toEqual([]);

    setTime(expiresAt - 7 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(1);
    const [event, ...others] = await takeEvents();
    expect(others).toEqual([]);
    expect(event?.type).toBe("key.expiring");
    expect(event?.data.key.id).toBe(record.id);
    expect(event?.data.key.expiresAt).toBe(new Date(expiresAt).toISOString());

    for (const at of [expiresAt - 7 * DAY_MS + 1, expiresAt - DAY_MS, expiresAt - 1]) {
      setTime(at);
      expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);
    }
    expect(await takeEvents("key.expiring")).toEqual([]);
  });

  it("uses the project's own expiryNotice instead of the default, shorter or longer", async () => {
    await setPolicies({ expiryNotice: "PT1H" });
    const expiresAt = T0 + 10 * DAY_MS;
    const { record } = await t.instance.keys.createKey(root, { expiresAt });

    setTime(expiresAt - HOUR_MS - 1);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);
    setTime(expiresAt - HOUR_MS);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(1);
    expect(keyIdsOf(await takeEvents("key.expiring"))).toEqual([record.id]);

    await setPolicies({ expiryNotice: "P30D" });
    const later = await t.instance.keys.createKey(root, { expiresAt: t.clock.now() + 30 * DAY_MS });
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(1);
    expect(keyIdsOf(await takeEvents("key.expiring"))).toEqual([later.record.id]);
  });

  it("skips revoked keys and rotated keys, whose replacement gets its own notice", async () => {
    const expiresAt = T0 + 30 * DAY_MS;
    const revoked = await t.instance.keys.createKey(root, { expiresAt });
    const rotated = await t.instance.keys.createKey(root, { expiresAt });
    const plain = await t.instance.keys.createKey(root, { expiresAt });
    await t.instance.keys.revokeKey(root, revoked.record.id, null);
    // The old key now expires in a day, well inside the notice window, but its owner already has the new key.
    const rotation = await t.instance.keys.rotateKey(root, rotated.record.id, { gracePeriodSeconds: 86_400 });
    expect(rotation.previous.expiresAt).toBe(T0 + DAY_MS);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);

    setTime(expiresAt - 7 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(2);
    expect(keyIdsOf(await takeEvents("key.expiring"))).toEqual([plain.record.id, rotation.record.id].sort());
  });

  it("fires again only when expiresAt moves to a new instant", async () => {
    const { record } = await t.instance.keys.createKey(root, { expiresAt: T0 + 3 * DAY_MS });
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(1);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);
    await takeEvents();

    await t.instance.keys.updateKey(root, record.id, { name: "renamed" });
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);

    await t.instance.keys.updateKey(root, record.id, { expiresAt: T0 + 4 * DAY_MS });
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(1);
    const [moved] = await takeEvents("key.expiring");
    expect(moved?.data.key.expiresAt).toBe(new Date(T0 + 4 * DAY_MS).toISOString());
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);

    // Moved back to an instant it was already warned about: no second notice for the same expiry.
    await t.instance.keys.updateKey(root, record.id, { expiresAt: T0 + 3 * DAY_MS });
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);

    // Moved out of the window: nothing until the new expiry comes within 7 days.
    await t.instance.keys.updateKey(root, record.id, { expiresAt: T0 + 20 * DAY_MS });
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(0);
    setTime(T0 + 13 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).expiring).toBe(1);
  });

  it("does not warn about a key that has already expired", async () => {
    await t.instance.keys.createKey(root, { expiresAt: T0 + HOUR_MS });
    setTime(T0 + HOUR_MS);
    const report = await t.instance.scheduler.runOnce();
    expect(report.expiring).toBe(0);
    expect(report.expired).toBe(1);
  });
});

describe("LifecycleScheduler.runOnce(): key.expired", () => {
  it("fires once at the instant the key expires, not 1 ms before", async () => {
    const expiresAt = T0 + 2 * DAY_MS;
    const { key, record } = await t.instance.keys.createKey(root, { expiresAt });
    await t.instance.scheduler.runOnce();
    await takeEvents();

    setTime(expiresAt - 1);
    expect((await t.instance.scheduler.runOnce()).expired).toBe(0);
    expect((await t.instance.keys.verifyKey(root, { key })).code).toBe("VALID");

    setTime(expiresAt);
    expect((await t.instance.scheduler.runOnce()).expired).toBe(1);
    expect((await t.instance.keys.verifyKey(root, { key })).code).toBe("EXPIRED");
    // Using the expired key also raises a dead_key_used alert; its event is written in the background.
    await t.instance.anomalies.flush();
    const events = await takeEvents();
    expect(events.map((e) => e.type).sort()).toEqual(["anomaly.detected", "key.expired"]);
    const event = events.find((e) => e.type === "key.expired");
    expect(event?.data.key.id).toBe(record.id);

    for (const at of [expiresAt + 1, expiresAt + DAY_MS, expiresAt + 6 * DAY_MS]) {
      setTime(at);
      expect((await t.instance.scheduler.runOnce()).expired).toBe(0);
    }
  });

  it("fires for a rotated key when its grace window ends, naming the replacement", async () => {
    const { record } = await t.instance.keys.createKey(root, {});
    const rotation = await t.instance.keys.rotateKey(root, record.id, { gracePeriodSeconds: 3_600 });
    const [rotated] = await takeEvents("key.rotated");
    expect(rotated?.data.replacedBy).toBe(rotation.record.id);
    expect(rotated?.data.graceEndsAt).toBe(new Date(T0 + HOUR_MS).toISOString());

    setTime(T0 + HOUR_MS - 1);
    expect((await t.instance.scheduler.runOnce()).expired).toBe(0);
    setTime(T0 + HOUR_MS);
    expect((await t.instance.scheduler.runOnce()).expired).toBe(1);
    const expired = await takeEvents("key.expired");
    expect(expired).toHaveLength(1);
    expect(expired[0]?.data.key.id).toBe(record.id);
    expect(expired[0]?.data.key.replacedBy).toBe(rotation.record.id);
  });

  it("gives no event for keys that expired before the 7-day lookback (e.g. while no scheduler ran)", async () => {
    const expiresAt = T0 + HOUR_MS;
    await t.instance.keys.createKey(root, { expiresAt });
    const justInside = await t.instance.keys.createKey(root, { expiresAt: expiresAt + 1 });

    setTime(expiresAt + 7 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).expired).toBe(1);
    expect(keyIdsOf(await takeEvents("key.expired"))).toEqual([justInside.record.id]);
  });

  it("skips keys revoked before they expired", async () => {
    const { record } = await t.instance.keys.createKey(root, { expiresAt: T0 + HOUR_MS });
    await t.instance.keys.revokeKey(root, record.id, "leaked");
    setTime(T0 + 2 * HOUR_MS);
    expect((await t.instance.scheduler.runOnce()).expired).toBe(0);
    expect(await takeEvents("key.expired")).toEqual([]);
  });
});

describe("LifecycleScheduler.runOnce(): key.rotation_due", () => {
  it("fires once when a key reaches the rotation period, as views and verification start to say", async () => {
    await setPolicies({ rotationPeriod: "P90D" });
    const { key, record } = await t.instance.keys.createKey(root, {});
    const due = T0 + 90 * DAY_MS;

    setTime(due - 1);
    expect((await t.instance.scheduler.runOnce()).rotationDue).toBe(0);
    expect((await t.instance.keys.getKey(root, record.id)).rotationDue).toBe(false);
    expect((await t.instance.keys.verifyKey(root, { key })).rotationDue).toBe(false);

    setTime(due);
    expect((await t.instance.scheduler.runOnce()).rotationDue).toBe(1);
    expect(keyIdsOf(await takeEvents("key.rotation_due"))).toEqual([record.id]);
    expect((await t.instance.keys.getKey(root, record.id)).rotationDue).toBe(true);
    expect((await t.instance.keys.verifyKey(root, { key })).rotationDue).toBe(true);

    for (const at of [due + 1, due + 30 * DAY_MS, due + 365 * DAY_MS]) {
      setTime(at);
      expect((await t.instance.scheduler.runOnce()).rotationDue).toBe(0);
    }
  });

  it("skips rotated, revoked and expired keys; a replacement is due a period after its own creation", async () => {
    await setPolicies({ rotationPeriod: "P90D" });
    const rotated = await t.instance.keys.createKey(root, {});
    const revoked = await t.instance.keys.createKey(root, {});
    await t.instance.keys.createKey(root, { expiresAt: T0 + 10 * DAY_MS });
    const plain = await t.instance.keys.createKey(root, {});
    await t.instance.keys.revokeKey(root, revoked.record.id, null);
    setTime(T0 + DAY_MS);
    const replacement = await t.instance.keys.rotateKey(root, rotated.record.id, { gracePeriodSeconds: 0 });
    await takeEvents();

    setTime(T0 + 90 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).rotationDue).toBe(1);
    expect(keyIdsOf(await takeEvents("key.rotation_due"))).toEqual([plain.record.id]);

    setTime(T0 + 91 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).rotationDue).toBe(1);
    expect(keyIdsOf(await takeEvents("key.rotation_due"))).toEqual([replacement.record.id]);
  });

  it("does nothing without a rotation period", async () => {
    await t.instance.keys.createKey(root, {});
    setTime(T0 + 3_650 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).rotationDue).toBe(0);
  });
});

describe("LifecycleScheduler.runOnce(): inactivity revocation", () => {
  it("revokes keys unused for the period, counted from lastUsedAt or else createdAt; used keys stay", async () => {
    await setPolicies({ inactivityRevocation: "P30D" });
    const unused = await t.instance.keys.createKey(root, {});
    const used = await t.instance.keys.createKey(root, {});
    setTime(T0 + 10 * DAY_MS);
    expect((await t.instance.keys.verifyKey(root, { key: used.key })).code).toBe("VALID");
    await t.instance.keys.usage.flush();
    await takeEvents();

    setTime(T0 + 30 * DAY_MS - 1);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(0);

    setTime(T0 + 30 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(1);
    const revoked = await t.instance.keys.getKey(root, unused.record.id);
    expect(revoked.revokedAt).toBe(T0 + 30 * DAY_MS);
    expect(revoked.revokedReason).toBe("inactive");
    expect((await t.instance.keys.getKey(root, used.record.id)).revokedAt).toBeNull();
    const [event, ...others] = await takeEvents();
    expect(others).toEqual([]);
    expect(event?.type).toBe("key.inactive_revoked");
    expect(event?.data.key.id).toBe(unused.record.id);
    expect(event?.data.key.revokedReason).toBe("inactive");

    setTime(T0 + 40 * DAY_MS - 1);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(0);
    setTime(T0 + 40 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(1);
    expect((await t.instance.keys.getKey(root, used.record.id)).revokedReason).toBe("inactive");
    expect(keyIdsOf(await takeEvents("key.inactive_revoked"))).toEqual([used.record.id]);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(0);
  });

  it("leaves expired keys, already revoked keys and projects without the policy alone", async () => {
    await setPolicies({ inactivityRevocation: "P30D" });
    const expired = await t.instance.keys.createKey(root, { expiresAt: T0 + DAY_MS });
    const revoked = await t.instance.keys.createKey(root, {});
    await t.instance.keys.revokeKey(root, revoked.record.id, "manual");
    const other = await t.instance.projects.createProject(root, { name: "no policy" });
    const elsewhere = await t.instance.keys.createKey(root, { projectId: other.id });

    setTime(T0 + 365 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(0);
    expect((await t.instance.keys.getKey(root, expired.record.id)).revokedAt).toBeNull();
    expect((await t.instance.keys.getKey(root, revoked.record.id)).revokedReason).toBe("manual");
    expect((await t.instance.keys.getKey(root, elsewhere.record.id)).revokedAt).toBeNull();
  });

  it("makes the revoked key verify REVOKED at once in the same process, though it was cached", async () => {
    await setPolicies({ inactivityRevocation: "P30D" });
    const inactive = await t.instance.keys.createKey(root, { scopes: ["a"] });
    const other = await t.instance.projects.createProject(root, { name: "no policy" });
    const control = await t.instance.keys.createKey(root, { projectId: other.id, scopes: ["a"] });

    // A verification that fails on scopes caches the record without counting as a use.
    setTime(T0 + 30 * DAY_MS - 5 * SECOND_MS);
    for (const { key } of [inactive, control]) {
      expect((await t.instance.keys.verifyKey(root, { key, scopes: ["b"] })).code).toBe("INSUFFICIENT_SCOPE");
    }
    // The control shows the cache is live: a revocation behind the service's back is not seen yet.
    await t.instance.store.revokeKey(control.record.id, null, t.clock.now());
    expect((await t.instance.keys.verifyKey(root, { key: control.key })).code).toBe("VALID");

    setTime(T0 + 30 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).inactiveRevoked).toBe(1);
    expect((await t.instance.keys.verifyKey(root, { key: inactive.key })).code).toBe("REVOKED");
  });
});

describe("LifecycleScheduler.runOnce(): report and pruning", () => {
  it("reports how many notices and revocations it made in one run", async () => {
    await setPolicies({ rotationPeriod: "P30D", inactivityRevocation: "P60D" });
    for (let i = 0; i < 3; i++) await t.instance.keys.createKey(root, { expiresAt: T0 + 40 * DAY_MS });
    for (let i = 0; i < 2; i++) await t.instance.keys.createKey(root, { expiresAt: T0 + 31 * DAY_MS });
    await t.instance.keys.createKey(root, {});
    await t.instance.keys.createKey(root, {});
    setTime(T0 + 10 * DAY_MS);
    const renewed = await t.instance.keys.createKey(root, {});

    setTime(T0 + 35 * DAY_MS);
    await t.instance.keys.verifyKey(root, { key: renewed.key });
    await t.instance.keys.usage.flush();
    expect(await t.instance.scheduler.runOnce()).toEqual({
      expiring: 3,
      expired: 2,
      // Created on day 0 and still live: the three expiring ones and the two without expiry.
      rotationDue: 5,
      inactiveRevoked: 0,
      prunedEvents: 0,
      auditCheckpoints: 0,
      prunedAuditEntries: 0,
    });
    setTime(T0 + 42 * DAY_MS);
    // The three expired on day 40; `renewed` (created on day 10) is due since day 40.
    expect(await t.instance.scheduler.runOnce()).toEqual({
      expiring: 0,
      expired: 3,
      rotationDue: 1,
      inactiveRevoked: 0,
      prunedEvents: 0,
      auditCheckpoints: 0,
      prunedAuditEntries: 0,
    });
    setTime(T0 + 60 * DAY_MS);
    // The two never-used keys without expiry; `renewed` was used on day 35.
    expect(await t.instance.scheduler.runOnce()).toEqual({
      expiring: 0,
      expired: 0,
      rotationDue: 0,
      inactiveRevoked: 2,
      prunedEvents: 0,
      auditCheckpoints: 0,
      prunedAuditEntries: 0,
    });
  });

  it("prunes events older than the retention (30 days) once all their deliveries are finished", async () => {
    await t.instance.keys.createKey(root, {});
    await takeEvents();
    await t.instance.keys.createKey(root, {});
    const [pending] = await t.instance.stores.webhooks.listDeliveries(
      (await t.instance.webhooks.listWebhooks(root, {})).items[0]?.id ?? "",
      { limit: 10, status: "pending" },
    );
    expect(pending).toBeDefined();

    setTime(T0 + 30 * DAY_MS);
    expect((await t.instance.scheduler.runOnce()).prunedEvents).toBe(0);
    setTime(T0 + 30 * DAY_MS + 1);
    // The delivered one goes; the one still pending stays, so its delivery can still be made.
    expect((await t.instance.scheduler.runOnce()).prunedEvents).toBe(1);
    expect((await t.instance.scheduler.runOnce()).prunedEvents).toBe(0);
    expect(
      await t.instance.stores.webhooks.findDelivery(pending?.webhookId ?? "", pending?.id ?? ""),
    ).not.toBeNull();

    await takeEvents();
    expect((await t.instance.scheduler.runOnce()).prunedEvents).toBe(1);
    expect(
      await t.instance.stores.webhooks.findDelivery(pending?.webhookId ?? "", pending?.id ?? ""),
    ).toBeNull();
  });
});

describe("LifecycleScheduler: several processes on one store", () => {
  let dir: string;
  let instances: Instance[];
  let receiver: WebhookReceiver;

  /** A whole second process: its own connection to the same file, the same master key. */
  async function openProcess(path: string, masterKey: Buffer, clock: ManualClock): Promise<Instance> {
    const config = parseConfig({}, { masterKey, logLevel: "silent", dataDir: dir });
    const instance = await openInstance({
      config,
      clock,
      stores: openSqliteStores({ path }),
      kms: new LocalKms(masterKey),
    });
    instances.push(instance);
    return instance;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyward-scheduler-"));
    instances = [];
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    for (const instance of instances) await instance.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends each notice exactly once and delivers each event exactly once with two schedulers and workers", async () => {
    const path = join(dir, "keyward.db");
    const masterKey = randomBytes(32);
    const clock = new ManualClock();
    const start = clock.now();
    const a = await openProcess(path, masterKey, clock);
    const b = await openProcess(path, masterKey, clock);
    expect(a.rootToken).not.toBeNull();
    expect(b.rootToken).toBeNull();
    await a.webhooks.createWebhook(root, { url: receiver.url, events: ["key.expiring", "key.expired"] });

    // 200 keys whose expiries are spread over 20 hours, 8 days out, created half through each process.
    const KEYS = 200;
    const STEP_MS = 6 * 60_000;
    const ids: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const service = i % 2 === 0 ? a.keys : b.keys;
      const { record } = await service.createKey(root, { expiresAt: start + 8 * DAY_MS + i * STEP_MS });
      ids.push(record.id);
    }

    let rounds = 0;
    /** Runs both schedulers in one of several interleavings, then both workers concurrently until idle. */
    async function round(): Promise<{ expiring: number; expired: number }> {
      const mode = rounds++ % 4;
      const reports =
        mode === 0
          ? await Promise.all([a.scheduler.runOnce(), b.scheduler.runOnce()])
          : mode === 1
            ? [await a.scheduler.runOnce(), await b.scheduler.runOnce()]
            : mode === 2
              ? [await b.scheduler.runOnce(), await a.scheduler.runOnce()]
              : await Promise.all([b.scheduler.runOnce(), a.scheduler.runOnce(), b.scheduler.runOnce()]);
      for (;;) {
        const sent = await Promise.all([a.deliveries.runOnce(), b.deliveries.runOnce()]);
        if (sent[0] + sent[1] === 0) break;
      }
      return {
        expiring: reports.reduce((sum, r) => sum + r.expiring, 0),
        expired: reports.reduce((sum, r) => sum + r.expired, 0),
      };
    }

    let expiring = 0;
    let expired = 0;
    // Each hour another ten keys enter the notice window, then another ten expire.
    for (let at = start + DAY_MS; at <= start + 2 * DAY_MS; at += HOUR_MS / 2) {
      clock.advance(at - clock.now());
      expiring += (await round()).expiring;
    }
    for (let at = start + 8 * DAY_MS; at <= start + 9 * DAY_MS; at += HOUR_MS / 2) {
      clock.advance(at - clock.now());
      expired += (await round()).expired;
    }
    expect(expiring).toBe(KEYS);
    expect(expired).toBe(KEYS);

    // Every request carried a different event, and every key got exactly one of each.
    const bodies = receiver.received.map((r) => ({
      id: r.headers["webhook-id"],
      ...(JSON.parse(r.body) as Omit<SeenEvent, "id">),
    }));
    expect(bodies).toHaveLength(2 * KEYS);
    expect(new Set(bodies.map((body) => body.id)).size).toBe(2 * KEYS);
    for (const type of ["key.expiring", "key.expired"]) {
      const keyIds = bodies.filter((body) => body.type === type).map((body) => body.data.key.id);
      expect(keyIds.sort()).toEqual([...ids].sort());
    }

    // And the queue agrees: each delivery delivered on its first attempt (no two workers held one at once).
    const [webhook] = (await a.webhooks.listWebhooks(root, {})).items;
    const deliveries = await a.stores.webhooks.listDeliveries(webhook?.id ?? "", { limit: 10_000 });
    expect(deliveries).toHaveLength(2 * KEYS);
    expect(deliveries.every((d) => d.status === "delivered" && d.attempts === 1)).toBe(true);
  });
});
