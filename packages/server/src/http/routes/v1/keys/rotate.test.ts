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

const SECOND_MS = 1_000;
const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

interface RotatedBody {
  key: string;
  id: string;
  previous: Record<string, unknown> & { id: string };
  [field: string]: unknown;
}

/** Rotates a key with the root token and asserts 201. */
async function rotate(id: string, body?: Record<string, unknown>): Promise<RotatedBody> {
  const res = await t.request("POST", `/v1/keys/${id}/rotate`, body);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
  return res.json() as RotatedBody;
}

describe("POST /v1/keys/{id}/rotate", () => {
  it("issues a working replacement with the old key's project, owner, name, scopes, meta and enabled state", async () => {
    const projectId = await createProject(t, { name: "rotation", keyPrefix: "rot" });
    const old = await createKey(t, {
      projectId,
      name: "acme production",
      ownerId: "customer_rot",
      scopes: ["orders:read", "orders:*"],
      meta: { plan: "pro", nested: { a: [1, 2] } },
    });
    t.clock.advance(DAY_MS);
    const res = await t.request("POST", `/v1/keys/${old.id}/rotate`, {});
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const rotated = res.json() as RotatedBody;
    const now = t.clock.now();
    expect(rotated.key).toMatch(/^rot_[0-9A-Za-z]{49}$/);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated).toMatchObject({
      id: expect.stringMatching(/^key_/),
      projectId,
      name: "acme production",
      ownerId: "customer_rot",
      start: rotated.key.slice(0, "rot_".length + 4),
      scopes: ["orders:read", "orders:*"],
      meta: { plan: "pro", nested: { a: [1, 2] } },
      enabled: true,
      expiresAt: null,
      createdAt: iso(now),
      updatedAt: iso(now),
      revokedAt: null,
      lastUsedAt: null,
      replacedBy: null,
      replaces: old.id,
      rotationDue: false,
    });
    expect(rotated.id).not.toBe(old.id);
    expect(rotated.previous).toEqual({
      ...(({ key: _key, ...record }) => record)(old),
      updatedAt: iso(now),
      expiresAt: iso(now + DAY_MS),
      replacedBy: rotated.id,
    });

    expect(await verifyKey(t, rotated.key, { scopes: ["orders:write"] })).toMatchObject({
      valid: true,
      code: "VALID",
      keyId: rotated.id,
      projectId,
      rotationDue: false,
    });
    expect(await verifyKey(t, rotated.key)).not.toHaveProperty("rotation");
  });

  it("links the two keys both ways in their records", async () => {
    const old = await createKey(t);
    const rotated = await rotate(old.id);
    const oldRecord = (await t.request("GET", `/v1/keys/${old.id}`)).json();
    const newRecord = (await t.request("GET", `/v1/keys/${rotated.id}`)).json();
    expect(oldRecord).toMatchObject({ replacedBy: rotated.id, replaces: null });
    expect(newRecord).toMatchObject({ replacedBy: null, replaces: old.id });
    expect(oldRecord).toEqual(rotated.previous);
  });

  it("keeps the old key VALID with `rotation` for the default 24 hours, then EXPIRED from the grace end on", async () => {
    const old = await createKey(t, { scopes: ["a"] });
    // No body at all: the body is optional and the grace period defaults to 24 hours.
    const res = await t.app.inject({
      method: "POST",
      url: `/v1/keys/${old.id}/rotate`,
      headers: { authorization: `Bearer ${t.rootToken}` },
    });
    expect(res.statusCode, res.body).toBe(201);
    const rotated = res.json() as RotatedBody;
    const graceEndsAt = t.clock.now() + DAY_MS;
    expect(rotated.previous.expiresAt).toBe(iso(graceEndsAt));

    const inGrace = {
      valid: true,
      code: "VALID",
      keyId: old.id,
      expiresAt: iso(graceEndsAt),
      rotationDue: false,
      rotation: { replacedBy: rotated.id, expiresAt: iso(graceEndsAt) },
    };
    expect(await verifyKey(t, old.key)).toMatchObject(inGrace);
    t.clock.advance(DAY_MS - 1);
    expect(await verifyKey(t, old.key, { scopes: ["a"] })).toMatchObject(inGrace);
    t.clock.advance(1);
    const expired = await verifyKey(t, old.key);
    expect(expired).toMatchObject({ valid: false, code: "EXPIRED", keyId: old.id });
    expect(expired).not.toHaveProperty("rotation");
    t.clock.advance(1);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: false, code: "EXPIRED" });
    expect(await verifyKey(t, rotated.key)).toMatchObject({ valid: true, keyId: rotated.id });
  });

  it("honours a chosen grace period to the millisecond", async () => {
    const old = await createKey(t);
    const rotated = await rotate(old.id, { gracePeriodSeconds: 90 });
    const graceEndsAt = t.clock.now() + 90 * SECOND_MS;
    expect(rotated.previous.expiresAt).toBe(iso(graceEndsAt));
    t.clock.advance(90 * SECOND_MS - 1);
    expect(await verifyKey(t, old.key)).toMatchObject({
      valid: true,
      rotation: { replacedBy: rotated.id, expiresAt: iso(graceEndsAt) },
    });
    t.clock.advance(1);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: false, code: "EXPIRED" });
  });

  it("expires the old key at once with a grace period of 0", async () => {
    const old = await createKey(t);
    const rotated = await rotate(old.id, { gracePeriodSeconds: 0 });
    expect(rotated.previous.expiresAt).toBe(iso(t.clock.now()));
    const answer = await verifyKey(t, old.key);
    expect(answer).toMatchObject({ valid: false, code: "EXPIRED", keyId: old.id });
    expect(answer).not.toHaveProperty("rotation");
    expect(await verifyKey(t, rotated.key)).toMatchObject({ valid: true });
  });

  it("accepts the longest grace period, 30 days", async () => {
    const old = await createKey(t);
    const rotated = await rotate(old.id, { gracePeriodSeconds: 30 * 86_400 });
    const graceEndsAt = t.clock.now() + 30 * DAY_MS;
    expect(rotated.previous.expiresAt).toBe(iso(graceEndsAt));
    t.clock.advance(30 * DAY_MS - 1);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: true, code: "VALID" });
    t.clock.advance(1);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: false, code: "EXPIRED" });
  });

  it("never extends the old key: one expiring before the grace end keeps its own expiry", async () => {
    const expiresAt = t.clock.now() + 3_600_000;
    const old = await createKey(t, { expiresAt: iso(expiresAt) });
    const rotated = await rotate(old.id, { gracePeriodSeconds: 86_400 });
    expect(rotated.previous.expiresAt).toBe(iso(expiresAt));
    expect(await verifyKey(t, old.key)).toMatchObject({
      valid: true,
      rotation: { replacedBy: rotated.id, expiresAt: iso(expiresAt) },
    });
    t.clock.advance(3_600_000);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: false, code: "EXPIRED" });
  });

  it("gives the replacement the old key's lifetime, counted from the rotation", async () => {
    const createdAt = t.clock.now();
    const old = await createKey(t, { expiresAt: iso(createdAt + 10 * DAY_MS) });
    t.clock.advance(3 * DAY_MS);
    const rotated = await rotate(old.id);
    expect(rotated.expiresAt).toBe(iso(t.clock.now() + 10 * DAY_MS));
  });

  it("keeps a disabled key disabled in its replacement", async () => {
    const old = await createKey(t, { enabled: false });
    const rotated = await rotate(old.id);
    expect(rotated.enabled).toBe(false);
    expect(await verifyKey(t, rotated.key)).toMatchObject({ valid: false, code: "DISABLED" });
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: false, code: "DISABLED" });
  });

  it("caps the replacement's lifetime at the project's maxLifetime", async () => {
    const projectId = await createProject(t, { name: "capped" });
    const old = await createKey(t, { projectId });
    expect(old.expiresAt).toBeNull();
    const patched = await t.request("PATCH", `/v1/projects/${projectId}`, {
      policies: { maxLifetime: "P30D" },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const rotated = await rotate(old.id);
    expect(rotated.expiresAt).toBe(iso(t.clock.now() + 30 * DAY_MS));
  });

  it("lets the replacement be rotated in turn, forming a chain", async () => {
    const first = await createKey(t);
    const second = await rotate(first.id);
    const third = await rotate(second.id);
    expect(third.replaces).toBe(second.id);
    expect(third.previous).toMatchObject({ id: second.id, replaces: first.id, replacedBy: third.id });
    expect(await verifyKey(t, third.key)).toMatchObject({ valid: true, keyId: third.id });
    expect(await verifyKey(t, second.key)).toMatchObject({ valid: true, rotation: { replacedBy: third.id } });
    expect(await verifyKey(t, first.key)).toMatchObject({ valid: true, rotation: { replacedBy: second.id } });
  });

  it("clears rotationDue on the rotated key and starts the replacement's age afresh", async () => {
    const projectId = await createProject(t, { name: "due" });
    await t.request("PATCH", `/v1/projects/${projectId}`, { policies: { rotationPeriod: "P30D" } });
    const old = await createKey(t, { projectId });
    t.clock.advance(30 * DAY_MS);
    expect((await t.request("GET", `/v1/keys/${old.id}`)).json()).toMatchObject({ rotationDue: true });
    const rotated = await rotate(old.id);
    expect(rotated.rotationDue).toBe(false);
    expect(rotated.previous.rotationDue).toBe(false);
    expect(await verifyKey(t, old.key)).toMatchObject({ valid: true, rotationDue: false });
  });
});
