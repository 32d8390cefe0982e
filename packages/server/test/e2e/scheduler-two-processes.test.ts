import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import {
  isServerBuilt,
  requestJson,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/webhook-receiver.js";

const built = isServerBuilt();

const SCHEDULER_INTERVAL_MS = 200;
/** Keys created a few at a time, each wave waiting for its notices, until both schedulers have sent some. */
const MIN_WAVE_KEYS = 60;
const WAVE_SIZE = 5;
const MAX_WAVES = 60;
/** Keys created at once through both processes, so both schedulers find them in the same few runs. */
const BURST_KEYS = 40;
const SCHEDULER_LOG = "lifecycle scheduler applied key policies";

const DAY_MS = 86_400_000;

/** Expiry notices this process's scheduler reports having claimed, from its info log lines. */
function noticesClaimedBy(server: ServerProcess): number {
  return server.lines
    .filter((line) => line.msg === SCHEDULER_LOG)
    .reduce((sum, line) => sum + ((line.report as { expiring?: number } | undefined)?.expiring ?? 0), 0);
}

function expiringKeyOf(webhook: ReceivedWebhook): string | null {
  const payload = JSON.parse(webhook.body) as { type: string; data: { key: { id: string } } };
  return payload.type === "key.expiring" ? payload.data.key.id : null;
}

let dataDir: string | undefined;
let receiver: WebhookReceiver | undefined;
const processes: ServerProcess[] = [];

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()));
  await receiver?.close();
  receiver = undefined;
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe.skipIf(!built)("two server processes on one database (the built server)", () => {
  it("sends each key's expiry notice exactly once while both run the scheduler and the webhook worker", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-two-"));
    const env = {
      KEYWARD_DATA_DIR: dataDir,
      KEYWARD_MASTER_KEY: randomBytes(32).toString("base64"),
      KEYWARD_SCHEDULER_INTERVAL_MS: String(SCHEDULER_INTERVAL_MS),
      KEYWARD_WEBHOOK_POLL_MS: "50",
      KEYWARD_LOG_LEVEL: "info",
    };
    receiver = await startWebhookReceiver();
    const a = await startServerProcess(env);
    processes.push(a);
    const b = await startServerProcess(env);
    processes.push(b);
    const token = a.rootToken;
    if (token === null) throw new Error("a fresh data directory must print a root token");
    expect(b.rootToken).toBeNull();

    const webhook = await requestJson<{ secret: string }>(a.url, token, "POST", "/v1/webhooks", {
      url: receiver.url,
      events: ["key.expiring"],
    });
    expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);

    const keyIds: string[] = [];
    /** Creates `count` keys through `server`, all expiring in a day: inside the default 7-day notice window. */
    const createKeys = async (server: ServerProcess, count: number): Promise<string[]> => {
      const created = await Promise.all(
        Array.from({ length: count }, async () => {
          const res = await requestJson<{ id: string }>(server.url, token, "POST", "/v1/keys", {
            expiresAt: new Date(Date.now() + DAY_MS).toISOString(),
          });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          return res.body.id;
        }),
      );
      keyIds.push(...created);
      return created;
    };
    const allNoticed = (ids: string[]) => (all: ReceivedWebhook[]) => {
      const noticed = new Set(all.map(expiringKeyOf));
      return ids.every((id) => noticed.has(id));
    };

    // Each wave goes to whichever scheduler runs next; go on until both have sent notices.
    let waves = 0;
    while (keyIds.length < MIN_WAVE_KEYS || noticesClaimedBy(a) === 0 || noticesClaimedBy(b) === 0) {
      expect(waves, "both schedulers send notices within the waves").toBeLessThan(MAX_WAVES);
      const ids = await createKeys(waves % 2 === 0 ? a : b, WAVE_SIZE);
      await receiver.waitFor(allNoticed(ids), 10_000);
      waves += 1;
    }
    const [burstA, burstB] = await Promise.all([
      createKeys(a, BURST_KEYS / 2),
      createKeys(b, BURST_KEYS / 2),
    ]);
    await receiver.waitFor(allNoticed([...(burstA ?? []), ...(burstB ?? [])]), 10_000);
    // The claim is about absence: give both schedulers ~10 more runs over the same keys to send a second notice.
    await delay(10 * SCHEDULER_INTERVAL_MS);

    const counts = new Map<string, number>();
    const verifier = new Webhook(webhook.body.secret);
    for (const received of receiver.received) {
      expect(() => verifier.verify(received.body, received.headers)).not.toThrow();
      const keyId = expiringKeyOf(received);
      expect(keyId).not.toBeNull();
      counts.set(keyId ?? "", (counts.get(keyId ?? "") ?? 0) + 1);
    }
    const notOnce = keyIds.filter((id) => counts.get(id) !== 1).map((id) => `${id}: ${counts.get(id) ?? 0}`);
    expect(notOnce, "each key's expiry notice arrives exactly once").toEqual([]);
    expect(receiver.received).toHaveLength(keyIds.length);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(keyIds.length);

    // Both schedulers did part of the work, and between them claimed each notice once.
    const claimedByA = noticesClaimedBy(a);
    const claimedByB = noticesClaimedBy(b);
    expect(claimedByA).toBeGreaterThan(0);
    expect(claimedByB).toBeGreaterThan(0);
    expect(claimedByA + claimedByB).toBe(keyIds.length);
  }, 90_000);
});
