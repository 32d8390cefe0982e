import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import type { Principal } from "./principal.js";

/**
 * Synthetic traffic through a whole instance (services, stores, limiter, detectors) on a manual clock: hours of
 * normal use of many keys, with, in one run, exactly one anomaly of each kind. GET /v1/alerts must then hold
 * exactly one alert per anomaly, and nothing at all after normal traffic alone.
 */

const ROOT: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const MINUTE_MS = 60_000;
/** Simulated minutes: two and a half hours, long enough for every key to have a history. */
const MINUTES = 150;
const KEYS = 30;

/** A client of one key: how often it verifies and from where. */
interface Client {
  key: string;
  id: string;
  /** Requests per minute on average. */
  perMinute: number;
  /** Addresses it verifies from: one or two home networks, several addresses in each. */
  addresses: string[];
  /** First minute it is used (a key issued during the run). */
  fromMinute: number;
}

/** The anomalies of the run, each at its minute. */
const SPIKE_MINUTE = 100;
const NEW_SOURCE_MINUTE = 110;
const BRUTE_FORCE_MINUTE = 120;
const DEAD_KEY_MINUTE = 130;
const CANARY_MINUTE = 140;

/** A small deterministic generator (mulberry32), so the traffic is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function homeAddresses(index: number): string[] {
  const addresses = Array.from({ length: 6 }, (_, host) => `10.${index}.0.${host + 1}`);
  // Every third client has a second home network (an office and a data centre), every fifth an IPv6 one.
  if (index % 3 === 0) addresses.push(`10.${index}.1.7`, `10.${index}.1.8`);
  if (index % 5 === 0) addresses.push(`2001:db8:${index}:1::10`, `2001:db8:${index}:2::20`);
  return addresses;
}

let t: TestApp | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function simulate(options: {
  anomalies: boolean;
  env?: Record<string, string>;
}): Promise<Array<Record<string, unknown>>> {
  t = await createTestApp(options.env === undefined ? {} : { env: options.env });
  const { instance, clock } = t;
  const keys = instance.keys;
  const next = random(42);
  const clients: Client[] = [];
  for (let i = 0; i < KEYS; i += 1) {
    const { key, record } = await keys.createKey(ROOT, { name: `client ${i}` });
    clients.push({
      key,
      id: record.id,
      // Mostly light clients (4–30 a minute), and two heavy ones above the spike detector's minimum count.
      perMinute: i < 2 ? 180 : 4 + (i % 9) * 3,
      addresses: homeAddresses(i),
      // Some keys are issued during the run: their first use raises nothing either.
      fromMinute: i % 10 === 9 ? 60 + i : 0,
    });
  }
  const revoked = await keys.createKey(ROOT, { name: "leaked last year" });
  await keys.revokeKey(ROOT, revoked.record.id, "leaked");
  const canary = await keys.createKey(ROOT, { name: "in the staging .env", canary: true });
  const typo = `${clients[0]?.key.slice(0, -6)}AAAAAA`;

  for (let minute = 0; minute < MINUTES; minute += 1) {
    // A daily curve in miniature: traffic rises and falls by a third around each client's rate.
    const shape = 1 + Math.sin((minute / MINUTES) * 2 * Math.PI) / 3;
    for (const client of clients) {
      if (minute < client.fromMinute) continue;
      const count = Math.round(client.perMinute * shape * (0.7 + 0.6 * next()));
      for (let r = 0; r < count; r += 1) {
        const ip = client.addresses[Math.floor(next() * client.addresses.length)];
        const outcome = await keys.verifyKey(ROOT, { key: client.key, ...(ip === undefined ? {} : { ip }) });
        expect(outcome.code).toBe("VALID");
      }
    }
    // A client with a typo in its configuration: a few NOT_FOUND a minute, far below the brute-force limit.
    for (let r = 0; r < 3; r += 1) await keys.verifyKey(ROOT, { key: typo, ip: "10.0.0.200" });

    if (options.anomalies) await anomaliesAt(minute, clients, { revoked: revoked.key, canary: canary.key });
    clock.advance(MINUTE_MS);
    // What the background timer does every second in production.
    await instance.detectors?.flush();
  }
  await instance.detectors?.flush();
  await instance.anomalies.flush();
  const res = await t.request("GET", "/v1/alerts?limit=100");
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return (res.json() as { items: Array<Record<string, unknown>> }).items;
}

/** One anomaly of each kind, at its own minute. */
async function anomaliesAt(
  minute: number,
  clients: readonly Client[],
  keys: { revoked: string; canary: string },
): Promise<void> {
  const service = t?.instance.keys;
  if (service === undefined) throw new Error("no app");
  const spiking = clients[5];
  const wandering = clients[7];
  if (spiking === undefined || wandering === undefined) throw new Error("too few clients");
  if (minute === SPIKE_MINUTE) {
    // A light client (about 19 a minute) suddenly at 400: a leaked key being used, or a client in a retry loop.
    for (let r = 0; r < 400; r += 1)
      await service.verifyKey(ROOT, { key: spiking.key, ip: spiking.addresses[0] as string });
  }
  if (minute === NEW_SOURCE_MINUTE) {
    // The same key from a network it has never been used from, after 110 minutes of history.
    for (const ip of ["192.0.2.10", "192.0.2.11", "192.0.2.12"])
      await service.verifyKey(ROOT, { key: wandering.key, ip });
  }
  if (minute === BRUTE_FORCE_MINUTE) {
    // Guessing keys from one address: 150 failures in a minute; the guard throttles it at the 100th.
    for (let r = 0; r < 150; r += 1) {
      const guess = `${keys.revoked.slice(0, -10)}${r.toString().padStart(10, "0")}`;
      await service.verifyKey(ROOT, { key: guess, ip: "203.0.113.66" }).catch((error: { code?: string }) => {
        expect(error.code).toBe("TOO_MANY_FAILED_VERIFICATIONS");
      });
    }
  }
  if (minute === DEAD_KEY_MINUTE) {
    for (let r = 0; r < 5; r += 1) await service.verifyKey(ROOT, { key: keys.revoked, ip: "198.51.100.23" });
  }
  if (minute === CANARY_MINUTE) {
    for (let r = 0; r < 5; r += 1) await service.verifyKey(ROOT, { key: keys.canary, ip: "198.51.100.99" });
  }
}

describe("the anomaly detectors on synthetic traffic", () => {
  it("raise nothing on hours of normal traffic of many keys", async () => {
    expect(await simulate({ anomalies: false })).toEqual([]);
  }, 60_000);

  it("raise exactly one alert per anomaly: spike, new source, brute force, dead key, canary", async () => {
    const alerts = await simulate({ anomalies: true });
    const at = (minute: number) =>
      new Date(Date.parse("2026-11-28T09:00:00.000Z") + minute * MINUTE_MS).toISOString();
    const byType = Object.fromEntries(alerts.map((a) => [a.type, a]));
    expect(alerts.map((a) => a.type).sort()).toEqual(
      ["brute_force", "canary", "dead_key_used", "new_source", "spike"].sort(),
    );
    expect(byType.spike).toMatchObject({
      occurrences: 1,
      details: { code: "VALID", count: 100, bucketStart: at(SPIKE_MINUTE) },
    });
    expect(byType.new_source).toMatchObject({
      occurrences: 1,
      details: { ip: "192.0.2.10", network: "192.0.2.0/24", knownNetworks: 1, keyFirstSeenAt: at(0) },
    });
    expect(byType.brute_force).toMatchObject({
      keyId: null,
      occurrences: 1,
      details: { source: { kind: "ip", id: "203.0.113.66" }, ip: "203.0.113.66", at: at(BRUTE_FORCE_MINUTE) },
    });
    expect(byType.dead_key_used).toMatchObject({ details: { code: "REVOKED", at: at(DEAD_KEY_MINUTE) } });
    expect(byType.canary).toMatchObject({ details: { code: "NOT_FOUND", at: at(CANARY_MINUTE) } });
    const text = await t?.instance.metrics.render();
    for (const type of ["spike", "new_source", "brute_force", "dead_key_used", "canary"])
      expect(text).toContain(`keyward_alerts_total{type="${type}"} 1`);
  }, 60_000);

  it("with KEYWARD_ANOMALY_DETECTION_ENABLED=false raise only the dead key and canary alerts", async () => {
    const alerts = await simulate({ anomalies: true, env: { KEYWARD_ANOMALY_DETECTION_ENABLED: "false" } });
    expect(t?.instance.detectors).toBeNull();
    expect(alerts.map((a) => a.type).sort()).toEqual(["canary", "dead_key_used"]);
  }, 60_000);
});
