import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  expectProblem,
  expectValidationError,
  mintToken,
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

describe("/v1/identities", () => {
  it("creates, reads (by id or externalId), lists, updates and deletes an identity", async () => {
    const created = await t.request("POST", "/v1/identities", {
      externalId: "team/alpha",
      meta: { plan: "pro" },
      rateLimits: [{ name: "requests", limit: 100, windowMs: 60_000 }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const identity = created.json() as { id: string };
    expect(created.json()).toEqual({
      id: expect.stringMatching(/^id_/),
      externalId: "team/alpha",
      meta: { plan: "pro" },
      rateLimits: [{ name: "requests", limit: 100, windowMs: 60_000 }],
      createdAt: "2026-11-28T09:00:00.000Z",
      updatedAt: "2026-11-28T09:00:00.000Z",
    });
    const byId = await t.request("GET", `/v1/identities/${identity.id}`);
    const byExternalId = await t.request("GET", `/v1/identities/${encodeURIComponent("team/alpha")}`);
    expect(byId.json()).toEqual(created.json());
    expect(byExternalId.json()).toEqual(created.json());

    t.clock.advance(1_000);
    const updated = await t.request("PATCH", `/v1/identities/${identity.id}`, { meta: {} });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      meta: {},
      rateLimits: [{ name: "requests" }],
      updatedAt: "2026-11-28T09:00:01.000Z",
    });

    for (const externalId of ["team/beta", "team/gamma", "other"]) {
      expect((await t.request("POST", "/v1/identities", { externalId })).statusCode).toBe(201);
    }
    const pages = await walkPages(t, "/v1/identities?search=TEAM&limit=2");
    expect(pages.map((page) => page.length)).toEqual([2, 1]);

    const deleted = await t.request("DELETE", `/v1/identities/${encodeURIComponent("team/alpha")}`);
    expect(deleted.statusCode).toBe(204);
    expectProblem(await t.request("GET", `/v1/identities/${identity.id}`), 404, "NOT_FOUND");
  });

  it("makes /v1/keys/verify return the identity and charge its limit once for all its keys", async () => {
    await t.request("POST", "/v1/identities", {
      externalId: "cust_v1",
      meta: { tier: "gold" },
      rateLimits: [{ name: "shared", limit: 2, windowMs: 60_000 }],
    });
    const a = await createKey(t, { ownerId: "cust_v1" });
    const b = await createKey(t, { ownerId: "cust_v1" });
    const first = await verifyKey(t, a.key);
    expect(first).toMatchObject({
      valid: true,
      identity: {
        externalId: "cust_v1",
        meta: { tier: "gold" },
        rateLimits: [{ name: "shared", limit: 2, windowMs: 60_000 }],
      },
      rateLimits: [{ name: "shared", remaining: 1 }],
    });
    expect(await verifyKey(t, b.key, { rateLimits: [{ name: "shared" }] })).toMatchObject({ valid: true });
    expect(await verifyKey(t, a.key)).toMatchObject({ valid: false, code: "RATE_LIMITED" });
    // A key without an identity answers as before.
    const plain = await createKey(t, { ownerId: "nobody" });
    expect(await verifyKey(t, plain.key)).not.toHaveProperty("identity");
  });

  it("answers 400 naming the field, 409 for a duplicate externalId, 404, and 403 to a project-limited token", async () => {
    expect(
      expectValidationError(
        await t.request("POST", "/v1/identities", {
          externalId: "bad",
          rateLimits: [{ name: "r", limit: 1, windowMs: 10 }],
        }),
      ),
    ).toEqual(["/rateLimits/0/windowMs"]);
    expect(expectValidationError(await t.request("POST", "/v1/identities", { externalId: "" }))).toEqual([
      "/externalId",
    ]);
    await t.request("POST", "/v1/identities", { externalId: "twice" });
    expectProblem(await t.request("POST", "/v1/identities", { externalId: "twice" }), 409, "CONFLICT");
    expectProblem(await t.request("PATCH", "/v1/identities/nobody", { meta: {} }), 404, "NOT_FOUND");
    expectProblem(await t.request("DELETE", "/v1/identities/nobody"), 404, "NOT_FOUND");
    const project = await t.request("POST", "/v1/projects", { name: "limited" });
    const limited = await mintToken(t, ["identities:write", "identities:read"], {
      projectIds: [(project.json() as { id: string }).id],
    });
    expectProblem(
      await t.request("POST", "/v1/identities", { externalId: "x" }, limited.token),
      403,
      "FORBIDDEN",
    );
    expect((await t.request("GET", "/v1/identities/twice", undefined, limited.token)).statusCode).toBe(200);
  });
});
