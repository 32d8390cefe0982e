import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

async function createKey(body: Record<string, unknown> = {}): Promise<{ key: string; id: string }> {
  const res = await t.request("POST", "/v1/keys", body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function verify(key: string, extra: Record<string, unknown> = {}) {
  const res = await t.request("POST", "/v1/keys/verify", { key, ...extra });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe("keys", () => {
  it("createKey() returns the plaintext once and the record never holds it", async () => {
    const created = await t.request("POST", "/v1/keys", {
      name: "acme",
      ownerId: "cust_1",
      scopes: ["a:b"],
      meta: { plan: "pro" },
    });
    expect(created.statusCode).toBe(201);
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

  it("verifyKey() walks VALID, INSUFFICIENT_SCOPE, DISABLED, EXPIRED, REVOKED, NOT_FOUND", async () => {
    const { key, id } = await createKey({ scopes: ["orders:*"] });
    expect(await verify(key)).toMatchObject({ valid: true, code: "VALID", keyId: id });
    expect(await verify(key, { scopes: ["orders:read"] })).toMatchObject({ valid: true, code: "VALID" });
    expect(await verify(key, { scopes: ["billing:read"] })).toMatchObject({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["billing:read"],
    });
    await t.request("PATCH", `/v1/keys/${id}`, { enabled: false });
    expect(await verify(key)).toMatchObject({ valid: false, code: "DISABLED" });
    await t.request("PATCH", `/v1/keys/${id}`, { enabled: true });
    expect(await verify(key)).toMatchObject({ valid: true, code: "VALID" });
    await t.request("PATCH", `/v1/keys/${id}`, { expiresAt: new Date(t.clock.now() + 60_000).toISOString() });
    expect(await verify(key)).toMatchObject({ valid: true });
    t.clock.advance(60_000);
    expect(await verify(key)).toMatchObject({ valid: false, code: "EXPIRED" });
    await t.request("POST", `/v1/keys/${id}/revoke`, { reason: "leaked" });
    expect(await verify(key)).toMatchObject({ valid: false, code: "REVOKED" });
    expect(await verify("not a key at all")).toEqual({ valid: false, code: "NOT_FOUND" });
    const changed = key.slice(0, 10) + (key[10] === "A" ? "B" : "A") + key.slice(11);
    expect(await verify(changed)).toEqual({ valid: false, code: "NOT_FOUND" });
  });
});
