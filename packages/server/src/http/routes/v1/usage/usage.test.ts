import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, mintToken, verifyKey } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

const HOUR = 3_600_000;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Writes the counted outcomes now, as the flush timer would. */
async function flush(): Promise<void> {
  await t.instance.analytics?.flush();
}

interface Bucket {
  start: string;
  total: number;
  codes: Record<string, number>;
}

describe("GET /v1/keys/{id}/usage", () => {
  it("counts every outcome of the key by code in zero-filled hour buckets", async () => {
    const projectId = await createProject(t, { name: "usage-a" });
    const key = await createKey(t, { projectId, scopes: ["read"] });
    t.clock.advance(5 * 60_000);
    await verifyKey(t, key.key);
    await verifyKey(t, key.key, { scopes: ["read"] });
    await verifyKey(t, key.key, { scopes: ["write"] });
    t.clock.advance(2 * HOUR);
    await t.request("POST", `/v1/keys/${key.id}/revoke`, {});
    await verifyKey(t, key.key);
    await flush();

    const res = await t.request(
      "GET",
      `/v1/keys/${key.id}/usage?from=2026-11-28T09:30:00Z&to=2026-11-28T12:00:00Z&granularity=hour`,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      keyId: key.id,
      granularity: "hour",
      from: "2026-11-28T09:00:00.000Z",
      to: "2026-11-28T12:00:00.000Z",
      buckets: [
        { start: "2026-11-28T09:00:00.000Z", total: 3, codes: { VALID: 2, INSUFFICIENT_SCOPE: 1 } },
        { start: "2026-11-28T10:00:00.000Z", total: 0, codes: {} },
        { start: "2026-11-28T11:00:00.000Z", total: 1, codes: { REVOKED: 1 } },
      ],
    });

    const minutes = await t.request(
      "GET",
      `/v1/keys/${key.id}/usage?granularity=minute&from=2026-11-28T09:04:00Z&to=2026-11-28T09:07:00Z`,
    );
    expect((minutes.json().buckets as Bucket[]).map((b) => b.total)).toEqual([0, 3, 0]);
  });

  it("defaults to the 24 hours up to the end of the current hour", async () => {
    const key = await createKey(t);
    await verifyKey(t, key.key);
    await flush();
    const res = await t.request("GET", `/v1/keys/${key.id}/usage`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { granularity: string; from: string; to: string; buckets: Bucket[] };
    expect(body.granularity).toBe("hour");
    expect(body.buckets).toHaveLength(24);
    const end = Math.floor(t.clock.now() / HOUR) * HOUR + HOUR;
    expect(body.to).toBe(new Date(end).toISOString());
    expect(body.from).toBe(new Date(end - 24 * HOUR).toISOString());
    expect(body.buckets.at(-1)).toMatchObject({ total: 1, codes: { VALID: 1 } });
  });
});

describe("GET /v1/usage", () => {
  it("returns a project's totals, series and top keys in one call, largest first", async () => {
    const projectId = await createProject(t, { name: "usage-top" });
    const busy = await createKey(t, { projectId });
    const quiet = await createKey(t, {
      projectId,
      rateLimits: [{ name: "burst", limit: 1, windowMs: 60_000 }],
    });
    const idle = await createKey(t, { projectId });
    const elsewhere = await createKey(t);
    for (let i = 0; i < 4; i += 1) await verifyKey(t, busy.key);
    await verifyKey(t, quiet.key);
    await verifyKey(t, quiet.key, { rateLimits: [{ name: "burst" }] });
    await verifyKey(t, elsewhere.key);
    await flush();

    const from = new Date(Math.floor(t.clock.now() / HOUR) * HOUR).toISOString();
    const res = await t.request("GET", `/v1/usage?projectId=${projectId}&from=${from}&granularity=hour`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      projectId,
      granularity: "hour",
      groupBy: "key",
      total: 6,
      codes: { VALID: 5, RATE_LIMITED: 1 },
      groups: [
        { id: busy.id, total: 4, codes: { VALID: 4 } },
        { id: quiet.id, total: 2, codes: { VALID: 1, RATE_LIMITED: 1 } },
      ],
    });
    expect(body.groups.map((g: { id: string }) => g.id)).not.toContain(idle.id);
    expect(body.buckets).toEqual([{ start: from, total: 6, codes: { VALID: 5, RATE_LIMITED: 1 } }]);

    const top1 = await t.request("GET", `/v1/usage?projectId=${projectId}&from=${from}&limit=1`);
    expect(top1.json().groups).toEqual([{ id: busy.id, total: 4, codes: { VALID: 4 } }]);
    const byCode = await t.request("GET", `/v1/usage?projectId=${projectId}&from=${from}&groupBy=code`);
    expect(byCode.json().groups).toEqual([
      { id: "VALID", total: 5, codes: { VALID: 5 } },
      { id: "RATE_LIMITED", total: 1, codes: { RATE_LIMITED: 1 } },
    ]);
  });

  it("counts NOT_FOUND for the project of a token limited to it, in the totals and not among the keys", async () => {
    const projectId = await createProject(t, { name: "usage-not-found" });
    const verifier = (await mintToken(t, ["keys:verify"], { projectIds: [projectId] })).token;
    const key = await createKey(t, { projectId });
    await verifyKey(t, key.key, {}, verifier);
    await verifyKey(t, `${key.key.slice(0, -4)}AAAA`, {}, verifier);
    await verifyKey(t, "not a key at all", {}, verifier);
    await flush();
    const res = await t.request("GET", `/v1/usage?projectId=${projectId}`);
    expect(res.json()).toMatchObject({
      total: 3,
      codes: { VALID: 1, NOT_FOUND: 2 },
      groups: [{ id: key.id, total: 1 }],
    });
    expect(res.json().groups).toHaveLength(1);
  });
});

describe("with KEYWARD_ANALYTICS_ENABLED=false", () => {
  it("counts nothing, and the usage routes answer with empty buckets", async () => {
    const off = await createTestApp({ env: { KEYWARD_ANALYTICS_ENABLED: "false" } });
    try {
      expect(off.instance.analytics).toBeNull();
      const key = await createKey(off);
      expect(await verifyKey(off, key.key)).toMatchObject({ valid: true });
      const res = await off.request("GET", `/v1/keys/${key.id}/usage`);
      expect(res.statusCode, res.body).toBe(200);
      expect((res.json().buckets as Bucket[]).every((b) => b.total === 0)).toBe(true);
      expect((await off.request("GET", "/v1/usage")).json()).toMatchObject({ total: 0, groups: [] });
    } finally {
      await off.close();
    }
  });
});
