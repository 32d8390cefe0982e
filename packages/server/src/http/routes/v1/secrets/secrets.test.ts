import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKey, createProject } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

const VALUE = "sk_test_4eC39HqLyjWDarjtT1zdp7dc-route";

let t: TestApp;
let projectId: string;

beforeEach(async () => {
  t = await createTestApp();
  projectId = await createProject(t, { name: "vault", keyPrefix: "vault" });
});
afterEach(async () => {
  await t.close();
});

async function storeSecret(body: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await t.request("POST", "/v1/secrets", {
    projectId,
    name: "STRIPE_API_KEY",
    value: VALUE,
    ...body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

describe("POST /v1/secrets", () => {
  it("stores a secret and returns 201 with its metadata, never its value", async () => {
    const res = await t.request("POST", "/v1/secrets", { projectId, name: "STRIPE_API_KEY", value: VALUE });
    expect(res.statusCode, res.body).toBe(201);
    const now = new Date(t.clock.now()).toISOString();
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^sec_[0-9A-Za-z]{22}$/),
      projectId,
      name: "STRIPE_API_KEY",
      createdAt: now,
      updatedAt: now,
      createdBy: expect.stringMatching(/^tok_/),
      lastRevealedAt: null,
    });
    expect(res.body).not.toContain(VALUE);
  });

  it("stores into the default project when none is named", async () => {
    const res = await t.request("POST", "/v1/secrets", { name: "DEFAULT_ONE", value: "v" });
    expect(res.statusCode).toBe(201);
    expect(res.json().projectId).toMatch(/^proj_/);
  });
});

describe("GET /v1/secrets and /v1/secrets/{id}", () => {
  it("lists and gets metadata only, paging in creation order", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1);
      ids.push((await storeSecret({ name: `S${i}` })).id);
    }
    const first = await t.request("GET", `/v1/secrets?projectId=${projectId}&limit=2`);
    expect(first.statusCode).toBe(200);
    const next = await t.request(
      "GET",
      `/v1/secrets?projectId=${projectId}&limit=2&cursor=${first.json().nextCursor}`,
    );
    expect([...first.json().items, ...next.json().items].map((s: { id: string }) => s.id)).toEqual(ids);
    expect(next.json().nextCursor).toBeNull();
    const one = await t.request("GET", `/v1/secrets/${ids[0]}`);
    expect(one.json()).toMatchObject({ id: ids[0], name: "S0", projectId });
    for (const res of [first, next, one]) {
      expect(res.body).not.toContain(VALUE);
      expect(res.body).not.toContain("value");
      expect(res.body).not.toContain("sealed");
    }
  });
});

describe("PATCH and DELETE /v1/secrets/{id}", () => {
  it("replaces the value, then deletes the secret", async () => {
    const { id } = await storeSecret();
    t.clock.advance(1_000);
    const updated = await t.request("PATCH", `/v1/secrets/${id}`, { value: "the new value" });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json().updatedAt).toBe(new Date(t.clock.now()).toISOString());
    expect(updated.body).not.toContain("the new value");
    const revealed = await t.request("POST", `/v1/secrets/${id}/reveal`);
    expect(revealed.json().value).toBe("the new value");
    const deleted = await t.request("DELETE", `/v1/secrets/${id}`);
    expect(deleted.statusCode).toBe(204);
    expect((await t.request("GET", `/v1/secrets/${id}`)).statusCode).toBe(404);
  });
});

describe("POST /v1/secrets/{id}/reveal", () => {
  it("returns the value with Cache-Control: no-store and records secret.revealed in the audit log", async () => {
    const { id } = await storeSecret();
    t.clock.advance(2_000);
    const res = await t.request("POST", `/v1/secrets/${id}/reveal`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.json()).toMatchObject({
      id,
      name: "STRIPE_API_KEY",
      value: VALUE,
      lastRevealedAt: new Date(t.clock.now()).toISOString(),
    });
    const audit = await t.request("GET", `/v1/audit?targetId=${id}&order=oldest`);
    expect(audit.json().items.map((e: { action: string }) => e.action)).toEqual([
      "secret.created",
      "secret.revealed",
    ]);
    expect(audit.body).not.toContain(VALUE);
    expect((await t.request("GET", `/v1/secrets/${id}`)).json().lastRevealedAt).toBe(
      new Date(t.clock.now()).toISOString(),
    );
  });
});

describe("recoverable keys", () => {
  it("PATCH /v1/projects/{id} turns recoverableKeys on; POST /v1/keys/{id}/reveal then returns a new key", async () => {
    expect((await t.request("GET", `/v1/projects/${projectId}`)).json().recoverableKeys).toBe(false);
    const patched = await t.request("PATCH", `/v1/projects/${projectId}`, { recoverableKeys: true });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().recoverableKeys).toBe(true);
    const created = await createKey(t, { projectId });
    const res = await t.request("POST", `/v1/keys/${created.id}/reveal`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.json()).toEqual({ id: created.id, key: created.key });
    const rotated = await t.request("POST", `/v1/keys/${created.id}/rotate`, {});
    const replacement = rotated.json() as { id: string; key: string };
    expect((await t.request("POST", `/v1/keys/${replacement.id}/reveal`)).json().key).toBe(replacement.key);
    const audit = await t.request("GET", `/v1/audit?action=key.revealed`);
    expect(audit.json().items).toHaveLength(2);
    expect(audit.body).not.toContain(created.key);
  });
});
