import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../test/support/manual-clock.js";
import { PepperRing } from "../kms/pepper-ring.js";
import { MemoryRateLimiter } from "../limits/memory-rate-limiter.js";
import type { AlertType } from "../monitor/metrics.js";
import type { AlertRecord } from "../store/alert-records.js";
import type { KeyStore } from "../store/key-store.js";
import { SqliteKeyStore } from "../store/sqlite-key-store.js";
import { ALERT_QUIET_MS, AnomalyAlerts } from "./anomaly-alerts.js";
import { KeyLimits } from "./key-limits.js";
import { KeyService } from "./key-service.js";
import type { Principal } from "./principal.js";
import { ProjectService } from "./project-service.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };

let sqlite: SqliteKeyStore;
let clock: ManualClock;
let keys: KeyService;
let anomalies: AnomalyAlerts;
let projectId: string;
let counted: AlertType[];
let logged: AlertRecord[];
let errors: unknown[];
let raiseCalls: number;

/** A KeyService with alerts over an in-memory SQLite store whose raiseAlert can be made to fail. */
async function setUp(options: { failRaise?: boolean } = {}): Promise<void> {
  sqlite = new SqliteKeyStore({ path: ":memory:" });
  await sqlite.migrate();
  raiseCalls = 0;
  const store: KeyStore = new Proxy(sqlite, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== "raiseAlert" || typeof value !== "function") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        raiseCalls += 1;
        if (options.failRaise === true) return Promise.reject(new Error("store down"));
        return value.apply(target, args);
      };
    },
  });
  clock = new ManualClock();
  counted = [];
  logged = [];
  errors = [];
  anomalies = new AnomalyAlerts({
    store,
    clock,
    metrics: { alert: (type) => counted.push(type) },
    onAlert: (alert) => logged.push(alert),
    onAlertError: (error) => errors.push(error),
  });
  const projects = new ProjectService({ store, clock, defaultProjectId: async () => null });
  projectId = (await projects.createProject(root, { name: "p" })).id;
  keys = new KeyService({
    store,
    projects,
    limits: new KeyLimits({
      limiter: new MemoryRateLimiter(),
      writeBalances: (entries) => store.recordQuotaBalances(entries),
      rateLimitsFailOpen: true,
      quotaFailOpen: false,
    }),
    peppers: PepperRing.of(randomBytes(32), clock),
    redigest: async () => 0,
    clock,
    keyBytes: 32,
    cacheMaxEntries: 100,
    cacheTtlMs: 10_000,
    alerts: anomalies,
  });
}

async function alerts(): Promise<AlertRecord[]> {
  await anomalies.flush();
  return sqlite.listAlerts({ projectIds: null, limit: 100 });
}

describe("anomaly alerts from KeyService.verifyKey()", () => {
  afterEach(async () => {
    await anomalies.flush();
    await keys.usage.stop();
    await sqlite.close();
  });

  describe("with a working store", () => {
    beforeEach(async () => {
      await setUp();
    });

    it("answers a canary key exactly as an unknown key, and raises one canary alert", async () => {
      const { key, record } = await keys.createKey(root, { projectId, canary: true });
      expect(record.canary).toBe(true);
      const outcome = await keys.verifyKey(root, { key, ip: "203.0.113.7" });
      expect(outcome).toEqual({ valid: false, code: "NOT_FOUND" });
      const [alert, ...more] = await alerts();
      expect(more).toEqual([]);
      expect(alert).toMatchObject({
        projectId,
        keyId: record.id,
        type: "canary",
        dedupKey: `canary:${record.id}`,
        occurrences: 1,
        details: {
          keyId: record.id,
          code: "NOT_FOUND",
          ip: "203.0.113.7",
          at: new Date(clock.now()).toISOString(),
        },
      });
      expect(counted).toEqual(["canary"]);
      expect(logged).toEqual([alert]);
    });

    it("raises one dead_key_used alert per storm of a revoked key, and a new one after 10 quiet minutes", async () => {
      const { key, record } = await keys.createKey(root, { projectId });
      await keys.revokeKey(root, record.id, "leaked");
      for (let i = 0; i < 5; i += 1) {
        expect((await keys.verifyKey(root, { key })).code).toBe("REVOKED");
        clock.advance(60_000);
      }
      // The repeats were settled in memory: one store write for the storm.
      expect(raiseCalls).toBe(1);
      expect(await alerts()).toEqual([
        expect.objectContaining({
          type: "dead_key_used",
          keyId: record.id,
          details: expect.objectContaining({ code: "REVOKED", ip: null }),
        }),
      ]);
      clock.advance(ALERT_QUIET_MS);
      await keys.verifyKey(root, { key });
      expect((await alerts()).map((a) => a.type)).toEqual(["dead_key_used", "dead_key_used"]);
      expect(counted).toEqual(["dead_key_used", "dead_key_used"]);
    });

    it("raises dead_key_used for an expired key, and nothing for valid, disabled or unknown keys", async () => {
      const expiring = await keys.createKey(root, { projectId, expiresAt: clock.now() + 1_000 });
      const valid = await keys.createKey(root, { projectId });
      const disabled = await keys.createKey(root, { projectId, enabled: false });
      expect((await keys.verifyKey(root, { key: valid.key })).code).toBe("VALID");
      expect((await keys.verifyKey(root, { key: disabled.key })).code).toBe("DISABLED");
      expect((await keys.verifyKey(root, { key: `${valid.key.slice(0, 5)}` })).code).toBe("NOT_FOUND");
      expect(await alerts()).toEqual([]);
      clock.advance(1_000);
      expect((await keys.verifyKey(root, { key: expiring.key })).code).toBe("EXPIRED");
      expect(await alerts()).toEqual([
        expect.objectContaining({
          type: "dead_key_used",
          keyId: expiring.record.id,
          details: expect.objectContaining({ code: "EXPIRED" }),
        }),
      ]);
    });

    it("refuses to rotate a canary key", async () => {
      const { record } = await keys.createKey(root, { projectId, canary: true });
      await expect(keys.rotateKey(root, record.id, {})).rejects.toMatchObject({ code: "CONFLICT" });
    });
  });

  describe("alerts about a source, not a key", () => {
    beforeEach(async () => {
      await setUp();
    });

    function bruteForce(source: string, projectId: string | null, atMs: number) {
      return {
        type: "brute_force" as const,
        key: null,
        projectId,
        source,
        details: { source: { kind: "ip", id: source.slice(3) }, limit: 100 },
        atMs,
      };
    }

    it("raise one alert per source and storm, without a key, in the project given or the default one", async () => {
      const defaulted = new AnomalyAlerts({
        store: sqlite,
        clock,
        defaultProjectId: async () => "proj_default",
        onAlert: (alert) => logged.push(alert),
      });
      defaulted.report(bruteForce("ip:203.0.113.7", null, clock.now()));
      defaulted.report(bruteForce("ip:203.0.113.7", null, clock.now() + 60_000));
      defaulted.report(bruteForce("ip:198.51.100.1", projectId, clock.now() + 60_000));
      await defaulted.flush();
      const raised = await sqlite.listAlerts({ projectIds: null, limit: 100 });
      expect(raised).toEqual([
        expect.objectContaining({
          projectId: "proj_default",
          keyId: null,
          type: "brute_force",
          dedupKey: "brute_force:ip:203.0.113.7",
          occurrences: 1,
          details: {
            source: { kind: "ip", id: "203.0.113.7" },
            limit: 100,
            at: new Date(clock.now()).toISOString(),
          },
        }),
        expect.objectContaining({ projectId, keyId: null, dedupKey: "brute_force:ip:198.51.100.1" }),
      ]);
      expect(logged.map((a) => a.id).sort()).toEqual(raised.map((a) => a.id).sort());
    });

    it("drop an alert that has no project to go to (a store without a default project)", async () => {
      anomalies.report(bruteForce("ip:203.0.113.7", null, clock.now()));
      expect(await alerts()).toEqual([]);
      expect(errors).toEqual([]);
    });
  });

  it("reports a store failure through onAlertError and still answers the verification", async () => {
    await setUp({ failRaise: true });
    const { key } = await keys.createKey(root, { projectId, canary: true });
    expect(await keys.verifyKey(root, { key })).toEqual({ valid: false, code: "NOT_FOUND" });
    await anomalies.flush();
    expect(errors).toEqual([new Error("store down")]);
    expect(counted).toEqual([]);
  });
});
