import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createProject, verifyKey } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const iso = (ms: number): string => new Date(ms).toISOString();
const WINDOW_MS = 10_000;

/** Moves the clock to the start of the next window of `windowMs`, so a test's windows do not depend on its start. */
function toNextWindow(windowMs = WINDOW_MS): number {
  t.clock.advance(windowMs - (t.clock.now() % windowMs));
  return t.clock.now();
}

async function adjust(id: string, body: Record<string, unknown>) {
  const res = await t.request("POST", `/v1/keys/${id}/quota`, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe("key rate limits and quota on the record", () => {
  it("are stored on create, shown on get and list, changed and removed by PATCH", async () => {
    const projectId = await createProject(t, { name: "limits-record" });
    const created = await createKey(t, {
      projectId,
      rateLimits: [
        { name: "requests", limit: 100, windowMs: 60_000 },
        { name: "tokens.per:day-1", limit: 1_000_000_000_000, windowMs: 100 },
      ],
      quota: { remaining: 500, refill: { amount: 1_000, interval: "month" } },
      ipAllowlist: ["203.0.113.0/24"],
    });
    expect(created).toMatchObject({
      rateLimits: [
        { name: "requests", limit: 100, windowMs: 60_000 },
        { name: "tokens.per:day-1", limit: 1_000_000_000_000, windowMs: 100 },
      ],
      // The clock starts on 2026-11-28, so the balance belongs to November's refill.
      quota: {
        remaining: 500,
        refill: { amount: 1_000, interval: "month" },
        refilledAt: "2026-11-01T00:00:00.000Z",
      },
      ipAllowlist: ["203.0.113.0/24"],
    });
    expect((await t.request("GET", `/v1/keys/${created.id}`)).json()).toMatchObject({
      rateLimits: created.rateLimits,
      quota: created.quota,
      ipAllowlist: created.ipAllowlist,
    });
    const listed = (await t.request("GET", `/v1/keys?projectId=${projectId}`)).json();
    expect(listed.items[0]).toMatchObject({ rateLimits: created.rateLimits, quota: created.quota });

    const bare = await createKey(t, { projectId });
    expect(bare).toMatchObject({ rateLimits: [], quota: null, ipAllowlist: null });
    const noRefill = await createKey(t, { projectId, quota: { remaining: 3 } });
    expect(noRefill.quota).toEqual({ remaining: 3, refill: null, refilledAt: null });

    const patched = await t.request("PATCH", `/v1/keys/${created.id}`, {
      rateLimits: [{ name: "burst", limit: 5, windowMs: 1_000 }],
      quota: { remaining: 7, refill: null },
      ipAllowlist: null,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      rateLimits: [{ name: "burst", limit: 5, windowMs: 1_000 }],
      quota: { remaining: 7, refill: null, refilledAt: null },
      ipAllowlist: null,
    });
    const removed = await t.request("PATCH", `/v1/keys/${created.id}`, { rateLimits: [], quota: null });
    expect(removed.json()).toMatchObject({ rateLimits: [], quota: null });
    expect(await verifyKey(t, created.key)).not.toHaveProperty("rateLimits");
  });
});

describe("POST /v1/keys/verify with rate limits", () => {
  it("admits `limit` requests per window, counting remaining down, then answers RATE_LIMITED until the window slides", async () => {
    const windowStart = toNextWindow();
    const key = await createKey(t, { rateLimits: [{ name: "requests", limit: 3, windowMs: WINDOW_MS }] });
    const resetAt = iso(windowStart + WINDOW_MS);
    for (const remaining of [2, 1, 0]) {
      const answer = await verifyKey(t, key.key);
      expect(answer).toMatchObject({ valid: true, code: "VALID" });
      expect(answer.rateLimits).toEqual([
        { name: "requests", limit: 3, windowMs: WINDOW_MS, remaining, resetAt },
      ]);
    }
    const refused = await verifyKey(t, key.key);
    expect(refused).toMatchObject({ valid: false, code: "RATE_LIMITED", keyId: key.id });
    expect(refused.rateLimits).toEqual([
      { name: "requests", limit: 3, windowMs: WINDOW_MS, remaining: 0, resetAt },
    ]);

    // At the next window's start the full previous window still counts: no burst of 2x at the edge.
    t.clock.advance(WINDOW_MS);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "RATE_LIMITED" });
    // Once the previous window weighs less than 2 of 3 units, one more request fits.
    t.clock.advance(Math.ceil(WINDOW_MS / 3) + 1);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "VALID" });
    // Two windows later nothing is left of the old counts.
    t.clock.advance(2 * WINDOW_MS);
    const fresh = await verifyKey(t, key.key);
    expect(fresh.rateLimits).toEqual([
      expect.objectContaining({ remaining: 2, resetAt: iso(windowStart + 4 * WINDOW_MS) }),
    ]);
  });

  it("spends `cost` units, refuses a request that no longer fits without spending, and admits cost 0", async () => {
    toNextWindow();
    const key = await createKey(t, { rateLimits: [{ name: "units", limit: 5, windowMs: WINDOW_MS }] });
    expect((await verifyKey(t, key.key, { cost: 2 })).rateLimits).toEqual([
      expect.objectContaining({ remaining: 3 }),
    ]);
    expect((await verifyKey(t, key.key, { cost: 2 })).rateLimits).toEqual([
      expect.objectContaining({ remaining: 1 }),
    ]);
    const refused = await verifyKey(t, key.key, { cost: 2 });
    expect(refused).toMatchObject({ code: "RATE_LIMITED" });
    expect(refused.rateLimits).toEqual([expect.objectContaining({ remaining: 1 })]);
    expect(await verifyKey(t, key.key, { cost: 1 })).toMatchObject({ code: "VALID" });
    expect(await verifyKey(t, key.key, { cost: 0 })).toMatchObject({ code: "VALID" });
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "RATE_LIMITED" });
  });

  it("charges only the limits a request names, each with its own cost or the request's", async () => {
    toNextWindow();
    const key = await createKey(t, {
      rateLimits: [
        { name: "requests", limit: 10, windowMs: WINDOW_MS },
        { name: "tokens", limit: 100, windowMs: WINDOW_MS },
      ],
    });
    const tokensOnly = await verifyKey(t, key.key, { rateLimits: [{ name: "tokens", cost: 40 }] });
    expect(tokensOnly.rateLimits).toEqual([expect.objectContaining({ name: "tokens", remaining: 60 })]);
    const both = await verifyKey(t, key.key, {
      cost: 3,
      rateLimits: [{ name: "requests" }, { name: "tokens", cost: 50 }],
    });
    expect(both.rateLimits).toEqual([
      expect.objectContaining({ name: "requests", remaining: 7 }),
      expect.objectContaining({ name: "tokens", remaining: 10 }),
    ]);
    // One limit refusing stops the others from being charged.
    const refused = await verifyKey(t, key.key, {
      rateLimits: [{ name: "requests" }, { name: "tokens", cost: 11 }],
    });
    expect(refused).toMatchObject({ code: "RATE_LIMITED" });
    expect((await verifyKey(t, key.key)).rateLimits).toEqual([
      expect.objectContaining({ name: "requests", remaining: 6 }),
      expect.objectContaining({ name: "tokens", remaining: 9 }),
    ]);
  });

  it("keeps each key's counts apart", async () => {
    toNextWindow();
    const rateLimits = [{ name: "requests", limit: 1, windowMs: WINDOW_MS }];
    const first = await createKey(t, { rateLimits });
    const second = await createKey(t, { rateLimits });
    expect(await verifyKey(t, first.key)).toMatchObject({ code: "VALID" });
    expect(await verifyKey(t, first.key)).toMatchObject({ code: "RATE_LIMITED" });
    expect(await verifyKey(t, second.key)).toMatchObject({ code: "VALID" });
  });
});

describe("the order of checks: IP allowlist, scopes, rate limits, quota", () => {
  it("spends no rate limit on IP_NOT_ALLOWED or INSUFFICIENT_SCOPE, and no quota on RATE_LIMITED", async () => {
    toNextWindow();
    const key = await createKey(t, {
      scopes: ["orders:read"],
      ipAllowlist: ["192.0.2.0/24"],
      rateLimits: [{ name: "requests", limit: 1, windowMs: WINDOW_MS }],
      quota: { remaining: 5 },
    });
    const ip = "192.0.2.10";
    const outside = await verifyKey(t, key.key, { ip: "198.51.100.1" });
    expect(outside).toMatchObject({ valid: false, code: "IP_NOT_ALLOWED" });
    expect(outside).not.toHaveProperty("rateLimits");
    expect(outside).not.toHaveProperty("quota");
    const scoped = await verifyKey(t, key.key, { ip, scopes: ["orders:write"] });
    expect(scoped).toMatchObject({ code: "INSUFFICIENT_SCOPE", missingScopes: ["orders:write"] });
    expect(scoped).not.toHaveProperty("rateLimits");

    const valid = await verifyKey(t, key.key, { ip, scopes: ["orders:read"] });
    expect(valid).toMatchObject({ code: "VALID", rateLimits: [expect.objectContaining({ remaining: 0 })] });
    expect(valid.quota).toEqual({ remaining: 4 });
    const limited = await verifyKey(t, key.key, { ip });
    expect(limited).toMatchObject({ code: "RATE_LIMITED" });
    expect(limited.quota).toEqual({ remaining: 4 });
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json().quota.remaining).toBe(4);
  });

  it("checks revoked, disabled and expired keys before any limit", async () => {
    const key = await createKey(t, { quota: { remaining: 1 }, enabled: false });
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "DISABLED" });
    await t.request("PATCH", `/v1/keys/${key.id}`, { enabled: true });
    const valid = await verifyKey(t, key.key);
    expect(valid).toMatchObject({ code: "VALID", quota: { remaining: 0 } });
    await t.request("POST", `/v1/keys/${key.id}/revoke`, {});
    const revoked = await verifyKey(t, key.key);
    expect(revoked).toMatchObject({ code: "REVOKED" });
    expect(revoked).not.toHaveProperty("quota");
  });
});

describe("POST /v1/keys/verify with a quota", () => {
  it("admits exactly `remaining` requests, then answers USAGE_EXCEEDED with a balance that never goes below 0", async () => {
    const key = await createKey(t, { quota: { remaining: 5 } });
    for (const remaining of [4, 3, 2, 1, 0]) {
      const answer = await verifyKey(t, key.key);
      expect(answer).toMatchObject({ valid: true, code: "VALID", quota: { remaining } });
      expect(answer).not.toHaveProperty("rateLimits");
    }
    for (let i = 0; i < 3; i++) {
      expect(await verifyKey(t, key.key)).toMatchObject({
        valid: false,
        code: "USAGE_EXCEEDED",
        quota: { remaining: 0 },
      });
    }
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json().quota.remaining).toBe(0);
  });

  it("spends `cost`, refusing a cost larger than the balance without spending it", async () => {
    const key = await createKey(t, { quota: { remaining: 5 } });
    expect(await verifyKey(t, key.key, { cost: 2 })).toMatchObject({ quota: { remaining: 3 } });
    expect(await verifyKey(t, key.key, { cost: 2 })).toMatchObject({ quota: { remaining: 1 } });
    expect(await verifyKey(t, key.key, { cost: 2 })).toMatchObject({
      code: "USAGE_EXCEEDED",
      quota: { remaining: 1 },
    });
    expect(await verifyKey(t, key.key, { cost: 1 })).toMatchObject({
      code: "VALID",
      quota: { remaining: 0 },
    });
  });

  it("shows the live balance on GET and lets a rotated key and its replacement share it", async () => {
    const key = await createKey(t, { quota: { remaining: 10 } });
    await verifyKey(t, key.key, { cost: 4 });
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json().quota.remaining).toBe(6);
    const rotated = await t.request("POST", `/v1/keys/${key.id}/rotate`, { gracePeriodSeconds: 60 });
    expect(rotated.statusCode, rotated.body).toBe(201);
    expect(await verifyKey(t, rotated.json().key, { cost: 1 })).toMatchObject({ quota: { remaining: 5 } });
    expect(await verifyKey(t, key.key, { cost: 1 })).toMatchObject({ quota: { remaining: 4 } });
  });

  it("refills to `amount` at midnight UTC, not a millisecond before", async () => {
    const projectId = await createProject(t, { name: "daily-utc" });
    const key = await createKey(t, {
      projectId,
      quota: { remaining: 2, refill: { amount: 3, interval: "day" } },
    });
    const today = Date.parse(iso(t.clock.now()).slice(0, 10));
    expect(key.quota).toMatchObject({ refilledAt: iso(today) });
    await verifyKey(t, key.key, { cost: 2 });
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "USAGE_EXCEEDED" });

    const midnight = today + 86_400_000;
    t.clock.advance(midnight - 1 - t.clock.now());
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "USAGE_EXCEEDED", quota: { remaining: 0 } });
    t.clock.advance(1);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "VALID", quota: { remaining: 2 } });
    const shown = (await t.request("GET", `/v1/keys/${key.id}`)).json();
    expect(shown.quota).toMatchObject({ remaining: 2, refilledAt: iso(midnight) });
  });

  it("refills at midnight in the project's time zone", async () => {
    const projectId = await createProject(t, { name: "daily-tokyo" });
    const zoned = await t.request("PATCH", `/v1/projects/${projectId}`, { timezone: "Asia/Tokyo" });
    expect(zoned.statusCode, zoned.body).toBe(200);
    const key = await createKey(t, {
      projectId,
      quota: { remaining: 1, refill: { amount: 1, interval: "day" } },
    });
    // Tokyo is UTC+9 all year: its midnight is 15:00 UTC.
    const now = t.clock.now();
    const dayUtc = Date.parse(iso(now).slice(0, 10));
    let localMidnight = dayUtc - 9 * 3_600_000;
    while (localMidnight + 86_400_000 <= now) localMidnight += 86_400_000;
    expect(key.quota).toMatchObject({ refilledAt: iso(localMidnight) });
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "VALID", quota: { remaining: 0 } });

    const next = localMidnight + 86_400_000;
    t.clock.advance(next - 1 - t.clock.now());
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "USAGE_EXCEEDED" });
    t.clock.advance(1);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "VALID", quota: { remaining: 0 } });
  });
});

describe("POST /v1/keys/{id}/quota", () => {
  it("sets, increments and decrements the live balance, stopping at 0, and returns the key", async () => {
    const key = await createKey(t, { quota: { remaining: 5 } });
    await verifyKey(t, key.key, { cost: 3 });
    const set = await adjust(key.id, { set: 10 });
    expect(set).toMatchObject({ id: key.id, quota: { remaining: 10, refill: null, refilledAt: null } });
    expect(set).not.toHaveProperty("key");
    expect((await adjust(key.id, { increment: 5 })).quota.remaining).toBe(15);
    expect(await verifyKey(t, key.key)).toMatchObject({ quota: { remaining: 14 } });
    expect((await adjust(key.id, { decrement: 4 })).quota.remaining).toBe(10);
    expect((await adjust(key.id, { decrement: 100 })).quota.remaining).toBe(0);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "USAGE_EXCEEDED" });
    expect((await adjust(key.id, { increment: 0 })).quota.remaining).toBe(0);
    expect((await adjust(key.id, { set: 1 })).quota.remaining).toBe(1);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "VALID", quota: { remaining: 0 } });
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json().quota.remaining).toBe(0);
  });

  it("applies a refill that is due before the adjustment", async () => {
    const key = await createKey(t, { quota: { remaining: 0, refill: { amount: 10, interval: "day" } } });
    t.clock.advance(86_400_000);
    const adjusted = await adjust(key.id, { decrement: 3 });
    expect(adjusted.quota.remaining).toBe(7);
    expect(adjusted.quota.refilledAt).toBe(`${iso(t.clock.now()).slice(0, 10)}T00:00:00.000Z`);
  });

  it("gives a PATCHed quota a fresh live balance", async () => {
    const key = await createKey(t, { quota: { remaining: 2 } });
    await verifyKey(t, key.key, { cost: 2 });
    const patched = await t.request("PATCH", `/v1/keys/${key.id}`, { quota: { remaining: 4 } });
    expect(patched.json().quota.remaining).toBe(4);
    expect(await verifyKey(t, key.key)).toMatchObject({ code: "VALID", quota: { remaining: 3 } });
  });
});
