import { randomBytes } from "node:crypto";
import { newId } from "@keyward/core/ids.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import { openSecret, type SealedSecret } from "../kms/envelope.js";
import { LocalKms } from "../kms/local-kms.js";
import type { NewEvent } from "../store/records.js";
import { openSqliteStores } from "../store/sqlite-stores.js";
import type { Stores } from "../store/stores.js";
import { generateWebhookSecret, parseWebhookSecret } from "../webhooks/webhook-secret.js";
import type { Principal } from "./principal.js";
import { ProjectService } from "./project-service.js";
import { WebhookService, type WebhookServiceOptions, webhookSecretContext } from "./webhook-service.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const URL_A = "https://hooks.example.com/keyward";

let stores: Stores;
let clock: ManualClock;
let kms: LocalKms;
let projects: ProjectService;
let service: WebhookService;
let projectA: string;
let projectB: string;
let defaultProject: string;
let wakes: number;

function newService(options: Partial<WebhookServiceOptions> = {}): WebhookService {
  return new WebhookService({
    store: stores.webhooks,
    projects,
    kms,
    clock,
    allowInsecureHttp: false,
    onEvents: () => {
      wakes += 1;
    },
    ...options,
  });
}

beforeEach(async () => {
  stores = openSqliteStores({ path: ":memory:" });
  await stores.keys.migrate();
  clock = new ManualClock();
  kms = new LocalKms(randomBytes(32));
  projects = new ProjectService({ store: stores.keys, clock, defaultProjectId: async () => defaultProject });
  projectA = (await projects.createProject(root, { name: "a" })).id;
  projectB = (await projects.createProject(root, { name: "b" })).id;
  defaultProject = projectA;
  wakes = 0;
  service = newService();
});

afterEach(async () => {
  await stores.keys.close();
});

/** Writes one event of a project, fanned out to its subscribed webhooks. */
async function appendEvent(projectId: string, type = "key.created"): Promise<NewEvent> {
  const now = clock.now();
  const event: NewEvent = {
    id: newId("evt", { now }),
    projectId,
    type,
    keyId: null,
    payload: JSON.stringify({ type, timestamp: new Date(now).toISOString(), data: {} }),
    createdAt: now,
  };
  await stores.webhooks.appendEvents([event]);
  return event;
}

/** Claims every due delivery and finishes it as a worker would, with the given outcome. */
async function finishAll(status: "delivered" | "failed"): Promise<void> {
  const now = clock.now();
  const claimed = await stores.webhooks.claimDeliveries({
    nowMs: now,
    leaseUntilMs: now + 60_000,
    limit: 1_000,
  });
  for (const d of claimed) {
    await stores.webhooks.finishDelivery({
      webhookId: d.webhookId,
      eventId: d.eventId,
      attempt: {
        attempt: d.attempt,
        attemptedAt: now,
        durationMs: 3,
        statusCode: 200,
        error: null,
        responseBody: null,
      },
      outcome: { status },
    });
  }
}

/** The stored sealed secret, which the store hands out only with a claimed delivery. */
async function sealedSecretOf(webhookId: string, projectId = projectA): Promise<string> {
  await appendEvent(projectId);
  const now = clock.now();
  const claimed = await stores.webhooks.claimDeliveries({ nowMs: now, leaseUntilMs: now, limit: 1_000 });
  const mine = claimed.find((d) => d.webhookId === webhookId);
  if (mine === undefined) throw new Error(`no delivery claimed for ${webhookId}`);
  return mine.sealedSecret;
}

describe("WebhookService.createWebhook()", () => {
  it("returns a generated whsec_ secret once, beside a record that never holds it", async () => {
    const { secret, record } = await service.createWebhook(root, {
      projectId: projectA,
      url: URL_A,
      events: ["key.created"],
      description: "billing",
    });
    expect(parseWebhookSecret(secret)).toHaveLength(32);
    expect(record).toEqual({
      id: expect.stringMatching(/^wh_/),
      projectId: projectA,
      url: URL_A,
      description: "billing",
      events: ["key.created"],
      enabled: true,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    const read = await service.getWebhook(root, record.id);
    expect(read).toEqual(record);
    expect(JSON.stringify(read)).not.toContain(secret.slice("whsec_".length));
    expect(JSON.stringify(await service.listWebhooks(root, {}))).not.toContain(secret.slice("whsec_".length));
  });

  it("stores the secret sealed, so that only the KMS with the context webhook-secret:<id> opens it", async () => {
    const { secret, record } = await service.createWebhook(root, { url: URL_A, events: ["*"] });
    const stored = await sealedSecretOf(record.id);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice("whsec_".length));
    expect(stored).not.toContain(parseWebhookSecret(secret).toString("hex"));

    const sealed = JSON.parse(stored) as SealedSecret;
    expect(webhookSecretContext(record.id)).toBe(`webhook-secret:${record.id}`);
    expect((await openSecret(kms, sealed, `webhook-secret:${record.id}`)).toString("utf8")).toBe(secret);
    await expectKeywardError(openSecret(kms, sealed, "webhook-secret:wh_other"), "DECRYPTION_FAILED");
    await expectKeywardError(
      openSecret(new LocalKms(randomBytes(32)), sealed, `webhook-secret:${record.id}`),
      "DECRYPTION_FAILED",
    );
  });

  it("uses a secret the caller brings, after checking its form, and never echoes a bad one", async () => {
    const own = generateWebhookSecret();
    const { secret, record } = await service.createWebhook(root, { url: URL_A, events: ["*"], secret: own });
    expect(secret).toBe(own);
    const sealed = JSON.parse(await sealedSecretOf(record.id)) as SealedSecret;
    expect((await openSecret(kms, sealed, webhookSecretContext(record.id))).toString("utf8")).toBe(own);

    const bad = `whsec_${randomBytes(16).toString("base64")}`;
    const error = await expectKeywardError(
      service.createWebhook(root, { url: URL_A, events: ["*"], secret: bad }),
      "VALIDATION_ERROR",
    );
    expect(error.errors?.map((e) => e.pointer)).toEqual(["/secret"]);
    expect(error.message).not.toContain(bad.slice("whsec_".length));
  });

  it("puts the webhook in the default project when none is named", async () => {
    expect((await service.createWebhook(root, { url: URL_A, events: ["*"] })).record.projectId).toBe(
      projectA,
    );
    defaultProject = projectB;
    expect((await service.createWebhook(root, { url: URL_A, events: ["*"] })).record.projectId).toBe(
      projectB,
    );
  });

  it("normalizes the URL and requires https except to loopback hosts", async () => {
    const { record } = await service.createWebhook(root, {
      url: "HTTPS://Hooks.Example.COM:443/a/../in",
      events: ["*"],
    });
    expect(record.url).toBe("https://hooks.example.com/in");
    expect(
      (await service.createWebhook(root, { url: "http://127.0.0.1:8080/in", events: ["*"] })).record.url,
    ).toBe("http://127.0.0.1:8080/in");
    for (const url of [
      "http://hooks.example.com/in",
      "ftp://example.com/",
      "not a url",
      "https://u:p@example.com/",
    ]) {
      const error = await expectKeywardError(
        service.createWebhook(root, { url, events: ["*"] }),
        "VALIDATION_ERROR",
      );
      expect(error.errors?.map((e) => e.pointer)).toEqual(["/url"]);
    }
    const insecure = newService({ allowInsecureHttp: true });
    expect(
      (await insecure.createWebhook(root, { url: "http://hooks.internal/in", events: ["*"] })).record.url,
    ).toBe("http://hooks.internal/in");
  });

  it("requires at least one known event type (or *), naming the bad one, and drops duplicates", async () => {
    const empty = await expectKeywardError(
      service.createWebhook(root, { url: URL_A, events: [] }),
      "VALIDATION_ERROR",
    );
    expect(empty.errors?.map((e) => e.pointer)).toEqual(["/events"]);
    const unknown = await expectKeywardError(
      service.createWebhook(root, { url: URL_A, events: ["key.created", "key.exploded"] }),
      "VALIDATION_ERROR",
    );
    expect(unknown.errors?.map((e) => e.pointer)).toEqual(["/events/1"]);
    const { record } = await service.createWebhook(root, {
      url: URL_A,
      events: ["key.created", "*", "key.created", "key.expired"],
    });
    expect(record.events).toEqual(["key.created", "*", "key.expired"]);
  });

  it("creates a disabled webhook that receives no deliveries until enabled", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"], enabled: false });
    expect(record.enabled).toBe(false);
    await appendEvent(projectA);
    expect((await service.listDeliveries(root, record.id, {})).items).toEqual([]);
  });
});

describe("WebhookService: permissions", () => {
  const reader: Principal = { tokenId: "tok_r", permissions: ["webhooks:read"], projectIds: null };
  const keysOnly: Principal = { tokenId: "tok_k", permissions: ["keys:*", "projects:*"], projectIds: null };

  it("needs webhooks:write to create, change, delete and retry, checked before the input", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"] });
    const event = await appendEvent(projectA);
    for (const principal of [reader, keysOnly]) {
      await expectKeywardError(service.createWebhook(principal, { url: "bad", events: [] }), "FORBIDDEN");
      await expectKeywardError(service.updateWebhook(principal, record.id, { enabled: false }), "FORBIDDEN");
      await expectKeywardError(service.deleteWebhook(principal, record.id), "FORBIDDEN");
      await expectKeywardError(service.retryDelivery(principal, record.id, event.id), "FORBIDDEN");
    }
    expect((await service.getWebhook(root, record.id)).enabled).toBe(true);
  });

  it("needs webhooks:read to see webhooks and deliveries", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"] });
    expect((await service.getWebhook(reader, record.id)).id).toBe(record.id);
    expect((await service.listWebhooks(reader, {})).items).toHaveLength(1);
    expect((await service.listDeliveries(reader, record.id, {})).items).toEqual([]);
    await expectKeywardError(service.getWebhook(keysOnly, record.id), "FORBIDDEN");
    await expectKeywardError(service.listWebhooks(keysOnly, {}), "FORBIDDEN");
    await expectKeywardError(service.listDeliveries(keysOnly, record.id, {}), "FORBIDDEN");
  });

  it("treats webhooks of projects the token cannot see as absent", async () => {
    const limited: Principal = { tokenId: "tok_a", permissions: ["webhooks:*"], projectIds: [projectA] };
    const mine = await service.createWebhook(limited, { projectId: projectA, url: URL_A, events: ["*"] });
    const theirs = await service.createWebhook(root, { projectId: projectB, url: URL_A, events: ["*"] });
    const event = await appendEvent(projectB);

    await expectKeywardError(
      service.createWebhook(limited, { projectId: projectB, url: URL_A, events: ["*"] }),
      "NOT_FOUND",
    );
    await expectKeywardError(service.getWebhook(limited, theirs.record.id), "NOT_FOUND");
    await expectKeywardError(
      service.updateWebhook(limited, theirs.record.id, { enabled: false }),
      "NOT_FOUND",
    );
    await expectKeywardError(service.deleteWebhook(limited, theirs.record.id), "NOT_FOUND");
    await expectKeywardError(service.listDeliveries(limited, theirs.record.id, {}), "NOT_FOUND");
    await expectKeywardError(service.retryDelivery(limited, theirs.record.id, event.id), "NOT_FOUND");

    expect((await service.listWebhooks(limited, {})).items.map((w) => w.id)).toEqual([mine.record.id]);
    expect((await service.listWebhooks(limited, { projectId: projectB })).items).toEqual([]);
    expect((await service.listWebhooks(root, { projectId: projectB })).items.map((w) => w.id)).toEqual([
      theirs.record.id,
    ]);
    expect((await service.getWebhook(root, theirs.record.id)).enabled).toBe(true);

    // Without a projectId the default project is meant, and this token cannot see it.
    defaultProject = projectB;
    await expectKeywardError(service.createWebhook(limited, { url: URL_A, events: ["*"] }), "NOT_FOUND");
  });
});

describe("WebhookService.updateWebhook() and deleteWebhook()", () => {
  it("changes only the given fields, validating URL and events as on creation", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"], description: "x" });
    clock.advance(1_000);
    const updated = await service.updateWebhook(root, record.id, { events: ["key.revoked", "key.revoked"] });
    expect(updated).toEqual({ ...record, events: ["key.revoked"], updatedAt: record.createdAt + 1_000 });

    const renamed = await service.updateWebhook(root, record.id, {
      url: "HTTPS://Other.Example.com/in",
      description: null,
      enabled: false,
    });
    expect(renamed).toMatchObject({ url: "https://other.example.com/in", description: null, enabled: false });

    const badUrl = await expectKeywardError(
      service.updateWebhook(root, record.id, { url: "http://hooks.example.com/" }),
      "VALIDATION_ERROR",
    );
    expect(badUrl.errors?.map((e) => e.pointer)).toEqual(["/url"]);
    const badEvents = await expectKeywardError(
      service.updateWebhook(root, record.id, { events: [] }),
      "VALIDATION_ERROR",
    );
    expect(badEvents.errors?.map((e) => e.pointer)).toEqual(["/events"]);
    expect(await service.getWebhook(root, record.id)).toEqual(renamed);
    await expectKeywardError(service.updateWebhook(root, "wh_missing", { enabled: true }), "NOT_FOUND");
  });

  it("deletes the webhook with its deliveries; deleting again is NOT_FOUND", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"] });
    const event = await appendEvent(projectA);
    expect(await stores.webhooks.findDelivery(record.id, event.id)).not.toBeNull();
    await service.deleteWebhook(root, record.id);
    await expectKeywardError(service.getWebhook(root, record.id), "NOT_FOUND");
    expect(await stores.webhooks.findDelivery(record.id, event.id)).toBeNull();
    await expectKeywardError(service.deleteWebhook(root, record.id), "NOT_FOUND");
  });
});

describe("WebhookService.listDeliveries() and retryDelivery()", () => {
  it("lists deliveries newest first, a page at a time, optionally by status", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"] });
    const first = await appendEvent(projectA);
    await finishAll("delivered");
    const events: NewEvent[] = [first];
    for (let i = 0; i < 4; i++) {
      clock.advance(1);
      events.push(await appendEvent(projectA, "key.updated"));
    }
    const newestFirst = events.map((e) => e.id).reverse();

    const page1 = await service.listDeliveries(root, record.id, { limit: 3 });
    expect(page1.items.map((d) => d.id)).toEqual(newestFirst.slice(0, 3));
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await service.listDeliveries(root, record.id, { limit: 3, cursor: page1.nextCursor ?? "" });
    expect(page2.items.map((d) => d.id)).toEqual(newestFirst.slice(3));
    expect(page2.nextCursor).toBeNull();

    const delivered = await service.listDeliveries(root, record.id, { status: "delivered" });
    expect(delivered.items.map((d) => d.id)).toEqual([first.id]);
    expect(delivered.items[0]).toMatchObject({
      webhookId: record.id,
      eventType: "key.created",
      status: "delivered",
      attempts: 1,
      nextAttemptAt: null,
      createdAt: first.createdAt,
      attemptLog: [{ attempt: 1, statusCode: 200, error: null }],
    });
    expect((await service.listDeliveries(root, record.id, { status: "pending" })).items).toHaveLength(4);
    expect((await service.listDeliveries(root, record.id, { status: "failed" })).items).toEqual([]);
  });

  it("makes a finished delivery pending and due now, wakes the worker, and leaves a pending one as it is", async () => {
    const { record } = await service.createWebhook(root, { url: URL_A, events: ["*"] });
    const event = await appendEvent(projectA);
    await finishAll("failed");
    clock.advance(86_400_000);

    const retried = await service.retryDelivery(root, record.id, event.id);
    expect(retried).toMatchObject({
      id: event.id,
      status: "pending",
      nextAttemptAt: clock.now(),
      attempts: 1,
    });
    expect(wakes).toBe(1);
    const [claimed] = await stores.webhooks.claimDeliveries({
      nowMs: clock.now(),
      leaseUntilMs: clock.now() + 1,
      limit: 5,
    });
    expect(claimed).toMatchObject({ eventId: event.id, attempt: 2, windowStartMs: clock.now() });

    const pending = await appendEvent(projectA);
    const before = await stores.webhooks.findDelivery(record.id, pending.id);
    clock.advance(5_000);
    expect(await service.retryDelivery(root, record.id, pending.id)).toEqual(before);

    await expectKeywardError(service.retryDelivery(root, record.id, "evt_missing"), "NOT_FOUND");
    await expectKeywardError(service.retryDelivery(root, "wh_missing", event.id), "NOT_FOUND");
  });
});
