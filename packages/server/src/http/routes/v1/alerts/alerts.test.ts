import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, verifyKey, walkPages } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** GET /v1/alerts after the background alert writes have landed. */
async function listAlerts(query = ""): Promise<Array<Record<string, unknown>>> {
  await t.instance.anomalies.flush();
  const res = await t.request("GET", `/v1/alerts${query}`);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return (res.json() as { items: Array<Record<string, unknown>> }).items;
}

describe("alerts from verification", () => {
  it("a canary key answers exactly like an unknown key and raises one canary alert per storm", async () => {
    const projectId = await createProject(t, { name: "honey", keyPrefix: "honey" });
    const canary = await createKey(t, { projectId, canary: true, name: "in the staging .env" });
    expect(canary.canary).toBe(true);
    const unknown = `${canary.key.slice(0, -8)}AAAAAAAA`;
    const fromCanary = await t.request("POST", "/v1/keys/verify", { key: canary.key, ip: "198.51.100.9" });
    const fromUnknown = await t.request("POST", "/v1/keys/verify", { key: unknown, ip: "198.51.100.9" });
    expect(fromCanary.body).toBe(fromUnknown.body);
    expect(fromCanary.json()).toEqual({ valid: false, code: "NOT_FOUND" });
    await verifyKey(t, canary.key);
    const alerts = await listAlerts(`?projectId=${projectId}`);
    expect(alerts).toEqual([
      {
        id: expect.stringMatching(/^alr_/),
        projectId,
        keyId: canary.id,
        type: "canary",
        firstSeenAt: expect.any(String),
        lastSeenAt: expect.any(String),
        occurrences: 1,
        details: { keyId: canary.id, code: "NOT_FOUND", ip: "198.51.100.9", at: expect.any(String) },
        acknowledgedAt: null,
        acknowledgedBy: null,
      },
    ]);
  });

  it("a revoked key in use raises dead_key_used; acknowledging it moves it between the filters", async () => {
    const projectId = await createProject(t, { name: "dead", keyPrefix: "dead" });
    const key = await createKey(t, { projectId });
    await t.request("POST", `/v1/keys/${key.id}/revoke`, { reason: "leaked" });
    for (let i = 0; i < 3; i += 1) expect((await verifyKey(t, key.key)).code).toBe("REVOKED");
    const [alert, ...more] = await listAlerts(`?projectId=${projectId}&type=dead_key_used`);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ keyId: key.id, type: "dead_key_used", details: { code: "REVOKED" } });
    expect(await listAlerts(`?projectId=${projectId}&type=canary`)).toEqual([]);

    const ack = await t.request("POST", `/v1/alerts/${String(alert?.id)}/ack`);
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({
      id: alert?.id,
      acknowledgedAt: new Date(t.clock.now()).toISOString(),
      acknowledgedBy: expect.stringMatching(/^tok_/),
    });
    // Acknowledging again keeps the first acknowledgement.
    t.clock.advance(1_000);
    expect((await t.request("POST", `/v1/alerts/${String(alert?.id)}/ack`, {})).json()).toEqual(ack.json());
    expect(await listAlerts(`?projectId=${projectId}&acknowledged=false`)).toEqual([]);
    expect((await listAlerts(`?projectId=${projectId}&acknowledged=true`)).map((a) => a.id)).toEqual([
      alert?.id,
    ]);
  });

  it("pages through alerts with nextCursor, each once, in creation order", async () => {
    const projectId = await createProject(t, { name: "paged", keyPrefix: "paged" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const key = await createKey(t, { projectId, canary: true });
      await verifyKey(t, key.key);
      await t.instance.anomalies.flush();
      t.clock.advance(1);
      ids.push(key.id);
    }
    await t.instance.anomalies.flush();
    const pages = await walkPages(t, `/v1/alerts?projectId=${projectId}&limit=2`);
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    const alerts = await listAlerts(`?projectId=${projectId}`);
    expect(pages.flat()).toEqual(alerts.map((a) => a.id));
    expect(alerts.map((a) => a.keyId)).toEqual(ids);
  });
});
