import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createProject,
  expectProblem,
  verifyKey,
  walkPages,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const iso = (ms: number): string => new Date(ms).toISOString();

describe("POST /v1/keys", () => {
  it("returns the plaintext once with the record, and GET never shows it again", async () => {
    const created = await t.request("POST", "/v1/keys", {
      name: "acme",
      ownerId: "cust_1",
      scopes: ["a:b"],
      meta: { plan: "pro" },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers["content-type"]).toMatch(/^application\/json/);
    expect(created.headers["cache-control"]).toBe("no-store");
    const body = created.json();
    expect(body.key).toMatch(/^kw_[0-9A-Za-z]{49}$/);
    expect(body.id).toMatch(/^key_/);
    expect(body.start).toBe(body.key.slice(0, 7));
    const shown = await t.request("GET", `/v1/keys/${body.id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(body.key);
    expect(shown.json()).toMatchObject({
      id: body.id,
      name: "acme",
      ownerId: "cust_1",
      scopes: ["a:b"],
      meta: { plan: "pro" },
    });
  });

  it("stores every field it is given and fills the defaults", async () => {
    const projectId = await createProject(t);
    const expiresAt = iso(t.clock.now() + 86_400_000);
    const created = await createKey(t, {
      projectId,
      name: "full",
      ownerId: "owner-full",
      scopes: ["orders:read", "orders:read", "orders:*"],
      meta: { plan: "pro", nested: { list: [1, 2, { deep: true }] } },
      expiresAt,
      enabled: false,
    });
    expect(created).toMatchObject({
      projectId,
      name: "full",
      ownerId: "owner-full",
      scopes: ["orders:read", "orders:*"],
      meta: { plan: "pro", nested: { list: [1, 2, { deep: true }] } },
      expiresAt,
      enabled: false,
      createdAt: iso(t.clock.now()),
      updatedAt: iso(t.clock.now()),
      revokedAt: null,
      revokedReason: null,
      lastUsedAt: null,
      replacedBy: null,
      replaces: null,
      rotationDue: false,
    });

    const bare = await createKey(t);
    expect(bare).toMatchObject({
      name: null,
      ownerId: null,
      scopes: [],
      meta: {},
      expiresAt: null,
      enabled: true,
    });
  });

  it("issues a project's keys with that project's prefix, and they verify", async () => {
    const projectId = await createProject(t, { name: "billing", keyPrefix: "bill_api" });
    const created = await createKey(t, { projectId });
    expect(created.key).toMatch(/^bill_api_[0-9A-Za-z]{49}$/);
    expect(created.start).toBe(created.key.slice(0, "bill_api_".length + 4));
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true, code: "VALID", projectId });
  });

  it("puts keys without a projectId in the default project", async () => {
    const projects = (await t.request("GET", "/v1/projects?limit=100")).json() as {
      items: Array<{ id: string; name: string }>;
    };
    const defaultProject = projects.items.find((p) => p.name === "default");
    const created = await createKey(t);
    expect(created.projectId).toBe(defaultProject?.id);
  });
});

describe("GET /v1/keys", () => {
  it("pages through a project's keys with nextCursor: three pages, each key once, in id order", async () => {
    const projectId = await createProject(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await createKey(t, { projectId })).id);
      t.clock.advance(1);
    }
    const pages = await walkPages(t, `/v1/keys?projectId=${projectId}&limit=2`);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const seen = pages.flat();
    expect(seen).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);
  });

  it("returns a null nextCursor when the page is the last one, even when it is exactly full", async () => {
    const projectId = await createProject(t);
    await createKey(t, { projectId });
    await createKey(t, { projectId });
    const res = await t.request("GET", `/v1/keys?projectId=${projectId}&limit=2`);
    expect(res.json()).toMatchObject({ nextCursor: null });
    expect(res.json().items).toHaveLength(2);
  });

  it("filters by projectId, by ownerId, and by both", async () => {
    const a = await createProject(t);
    const b = await createProject(t);
    const a1 = await createKey(t, { projectId: a, ownerId: "alice-filter" });
    const a2 = await createKey(t, { projectId: a, ownerId: "bob-filter" });
    const b1 = await createKey(t, { projectId: b, ownerId: "alice-filter" });

    const ids = async (query: string): Promise<string[]> => {
      const res = await t.request("GET", `/v1/keys?${query}&limit=100`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as Array<{ id: string }>).map((k) => k.id).sort();
    };
    expect(await ids(`projectId=${a}`)).toEqual([a1.id, a2.id].sort());
    expect(await ids("ownerId=alice-filter")).toEqual([a1.id, b1.id].sort());
    expect(await ids(`projectId=${a}&ownerId=alice-filter`)).toEqual([a1.id]);
    expect(await ids(`projectId=${b}&ownerId=bob-filter`)).toEqual([]);
  });

  it("lists records without the plaintext key", async () => {
    const projectId = await createProject(t);
    const created = await createKey(t, { projectId });
    const res = await t.request("GET", `/v1/keys?projectId=${projectId}`);
    expect(res.json().items).toEqual([expect.objectContaining({ id: created.id, start: created.start })]);
    expect(res.body).not.toContain(created.key);
  });
});

describe("PATCH /v1/keys/{id}", () => {
  it("changes the given fields, keeps the absent ones, and moves updatedAt", async () => {
    const created = await createKey(t, { name: "before", ownerId: "o1", scopes: ["a"], meta: { x: 1 } });
    t.clock.advance(5_000);
    const res = await t.request("PATCH", `/v1/keys/${created.id}`, {
      name: "after",
      scopes: ["b", "b", "c"],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: created.id,
      name: "after",
      ownerId: "o1",
      scopes: ["b", "c"],
      meta: { x: 1 },
      createdAt: created.createdAt,
      updatedAt: iso(t.clock.now()),
    });

    const cleared = await t.request("PATCH", `/v1/keys/${created.id}`, {
      ownerId: null,
      name: null,
      meta: { y: 2 },
    });
    expect(cleared.json()).toMatchObject({ name: null, ownerId: null, meta: { y: 2 }, scopes: ["b", "c"] });
  });

  it("applies enabled and expiresAt to the next verification at once", async () => {
    const created = await createKey(t);
    await t.request("PATCH", `/v1/keys/${created.id}`, { enabled: false });
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: false, code: "DISABLED" });
    await t.request("PATCH", `/v1/keys/${created.id}`, { enabled: true });
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true, code: "VALID" });
    const past = await t.request("PATCH", `/v1/keys/${created.id}`, { expiresAt: iso(t.clock.now() - 1) });
    expect(past.statusCode, past.body).toBe(200);
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: false, code: "EXPIRED" });
    await t.request("PATCH", `/v1/keys/${created.id}`, { expiresAt: null });
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: true, expiresAt: null });
  });
});

describe("POST /v1/keys/{id}/revoke", () => {
  it("revokes with a reason, and revoking again returns the first revocation unchanged", async () => {
    const created = await createKey(t);
    const first = await t.request("POST", `/v1/keys/${created.id}/revoke`, { reason: "leaked" });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      id: created.id,
      revokedAt: iso(t.clock.now()),
      revokedReason: "leaked",
    });
    t.clock.advance(60_000);
    const second = await t.request("POST", `/v1/keys/${created.id}/revoke`, { reason: "again" });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await verifyKey(t, created.key)).toMatchObject({ valid: false, code: "REVOKED" });
  });

  it("accepts no body at all and records a null reason", async () => {
    const created = await createKey(t);
    const res = await t.app.inject({
      method: "POST",
      url: `/v1/keys/${created.id}/revoke`,
      headers: { authorization: `Bearer ${t.rootToken}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ revokedReason: null, revokedAt: iso(t.clock.now()) });
  });
});

describe("POST /v1/keys/verify", () => {
  it("walks VALID, INSUFFICIENT_SCOPE, DISABLED, EXPIRED, REVOKED and NOT_FOUND", async () => {
    const { key, id } = await createKey(t, { scopes: ["orders:*"] });
    expect(await verifyKey(t, key)).toMatchObject({ valid: true, code: "VALID", keyId: id });
    expect(await verifyKey(t, key, { scopes: ["orders:read"] })).toMatchObject({
      valid: true,
      code: "VALID",
    });
    expect(await verifyKey(t, key, { scopes: ["billing:read"] })).toMatchObject({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["billing:read"],
    });
    await t.request("PATCH", `/v1/keys/${id}`, { enabled: false });
    expect(await verifyKey(t, key)).toMatchObject({ valid: false, code: "DISABLED" });
    await t.request("PATCH", `/v1/keys/${id}`, { enabled: true });
    expect(await verifyKey(t, key)).toMatchObject({ valid: true, code: "VALID" });
    await t.request("PATCH", `/v1/keys/${id}`, { expiresAt: iso(t.clock.now() + 60_000) });
    expect(await verifyKey(t, key)).toMatchObject({ valid: true });
    t.clock.advance(60_000);
    expect(await verifyKey(t, key)).toMatchObject({ valid: false, code: "EXPIRED" });
    await t.request("POST", `/v1/keys/${id}/revoke`, { reason: "leaked" });
    expect(await verifyKey(t, key)).toMatchObject({ valid: false, code: "REVOKED" });
    expect(await verifyKey(t, "not a key at all")).toEqual({ valid: false, code: "NOT_FOUND" });
    const changed = key.slice(0, 10) + (key[10] === "A" ? "B" : "A") + key.slice(11);
    expect(await verifyKey(t, changed)).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("returns the key's details with a valid outcome", async () => {
    const expiresAt = iso(t.clock.now() + 3_600_000);
    const created = await createKey(t, {
      name: "details",
      ownerId: "owner-details",
      scopes: ["x"],
      meta: { tier: 2 },
      expiresAt,
    });
    expect(await verifyKey(t, created.key, { scopes: ["x"], ip: "203.0.113.9" })).toEqual({
      valid: true,
      code: "VALID",
      keyId: created.id,
      projectId: created.projectId,
      ownerId: "owner-details",
      name: "details",
      scopes: ["x"],
      meta: { tier: 2 },
      expiresAt,
      rotationDue: false,
    });
    expect(await verifyKey(t, created.key, { ip: "2001:db8::1" })).toMatchObject({ valid: true });
  });

  it("lets a:* grant every scope under a: (at any depth) and nothing else", async () => {
    const { key } = await createKey(t, { scopes: ["orders:*"] });
    for (const scope of ["orders:read", "orders:read:own", "orders:*"]) {
      expect(await verifyKey(t, key, { scopes: [scope] }), scope).toMatchObject({ valid: true });
    }
    for (const scope of ["orders", "orders:", "ordersx:read", "billing:read", "*"]) {
      expect(await verifyKey(t, key, { scopes: [scope] }), scope).toMatchObject({
        valid: false,
        code: "INSUFFICIENT_SCOPE",
        missingScopes: [scope],
      });
    }
  });

  it("lets * grant every scope", async () => {
    const { key } = await createKey(t, { scopes: ["*"] });
    expect(
      await verifyKey(t, key, { scopes: ["orders:read", "billing:write:all", "admin", "x:*"] }),
    ).toMatchObject({ valid: true, code: "VALID" });
  });

  it("needs every required scope and lists exactly the missing ones in the order asked", async () => {
    const { key } = await createKey(t, { scopes: ["a:read", "b:*"] });
    expect(await verifyKey(t, key, { scopes: ["c", "a:read", "b:x", "a:write", "d:*"] })).toMatchObject({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["c", "a:write", "d:*"],
    });
    expect(await verifyKey(t, key, { scopes: [] })).toMatchObject({ valid: true });
  });

  it("records lastUsedAt for a valid verification once usage is flushed", async () => {
    const created = await createKey(t);
    await verifyKey(t, created.key);
    await t.instance.keys.usage.flush();
    const res = await t.request("GET", `/v1/keys/${created.id}`);
    expect(res.json()).toMatchObject({ lastUsedAt: iso(t.clock.now()) });
  });
});

describe("errors", () => {
  it("carry the x-request-id header equal to the body's requestId, unique per request", async () => {
    const first = expectProblem(await t.request("GET", "/v1/keys/key_missing"), 404, "NOT_FOUND");
    const second = expectProblem(await t.request("GET", "/v1/keys/key_missing"), 404, "NOT_FOUND");
    expect(first.requestId).not.toBe(second.requestId);
  });

  it("and successes carry an x-request-id header too", async () => {
    const res = await t.request("GET", "/v1/keys?limit=1");
    expect(res.headers["x-request-id"]).toMatch(/^req_/);
  });
});
