import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { describeAuditStoreConformance } from "./audit-store.conformance.js";
import { describeKeyLifecycleStoreConformance } from "./key-lifecycle-store.conformance.js";
import { describeSealedValueStoreConformance } from "./sealed-value-store.conformance.js";
import { openSqliteStores } from "./sqlite-stores.js";
import { StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import { describeWebhookStoreConformance } from "./webhook-store.conformance.js";

const tempDirs: string[] = [];

function tempDatabasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-sqlite-stores-"));
  tempDirs.push(dir);
  return join(dir, "keyward.db");
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describeKeyLifecycleStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
describeKeyLifecycleStoreConformance("SQLite file", async () =>
  openSqliteStores({ path: tempDatabasePath() }),
);
describeWebhookStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
describeWebhookStoreConformance("SQLite file", async () => openSqliteStores({ path: tempDatabasePath() }));
describeAuditStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
describeAuditStoreConformance("SQLite file", async () => openSqliteStores({ path: tempDatabasePath() }));
describeSealedValueStoreConformance("SQLite file", async () =>
  openSqliteStores({ path: tempDatabasePath() }),
);

describe("openSqliteStores() on one file, twice (two processes)", () => {
  const NOW = T0 + 3_600_000;
  const opened: Stores[] = [];

  afterEach(async () => {
    for (const stores of opened.splice(0)) await stores.keys.close();
  });

  async function openTwice(): Promise<[Stores, Stores]> {
    const path = tempDatabasePath();
    const a = openSqliteStores({ path });
    const b = openSqliteStores({ path });
    opened.push(a, b);
    await a.keys.migrate();
    await b.keys.migrate();
    return [a, b];
  }

  it("share one delivery queue: a change on one fills the queue, and a lease on one holds on the other", async () => {
    const [a, b] = await openTwice();
    const fx = new StoreFixtures(a);
    const project = await fx.createProject();
    const webhook = await new StoreFixtures(b).createWebhook(project.id);
    const key = fx.makeKey(project.id);
    await a.keys.createKey(key, fx.keyEvents("key.created")(key.record));

    const claim = { nowMs: NOW, leaseUntilMs: NOW + 60_000, limit: 10 };
    const claimed = await b.webhooks.claimDeliveries(claim);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ webhookId: webhook.record.id, eventType: "key.created", attempt: 1 });
    expect(await a.webhooks.claimDeliveries(claim)).toEqual([]);
    expect(await a.webhooks.findDelivery(webhook.record.id, claimed[0]?.eventId as string)).toMatchObject({
      status: "pending",
      attempts: 1,
    });
  });

  it("share notices: a notice recorded by one cannot be recorded by the other, nor found again", async () => {
    const [a, b] = await openTwice();
    const fx = new StoreFixtures(a);
    const project = await fx.createProject();
    const key = await fx.createKey(project.id, { expiresAt: NOW + 1_000 });
    const notice = {
      keyId: key.record.id,
      kind: "key.expiring" as const,
      subjectAt: NOW + 1_000,
      sentAt: NOW,
    };
    const query = { projectId: project.id, afterMs: NOW, untilMs: NOW + 2_000, limit: 10 };
    expect(await b.lifecycle.findKeysToNotifyExpiring(query)).toEqual([key.record]);
    expect(await a.lifecycle.recordKeyNotice(notice, [])).toBe(true);
    expect(await b.lifecycle.recordKeyNotice({ ...notice, sentAt: NOW + 1 }, [])).toBe(false);
    expect(await b.lifecycle.findKeysToNotifyExpiring(query)).toEqual([]);
  });
});
