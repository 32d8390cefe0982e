import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  expectProblem,
  expectValidationError,
  verifyKey,
} from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("POST /v1/keys/{id}/rotate errors", () => {
  it("answers NOT_FOUND for an unknown key", async () => {
    const res = await t.request("POST", "/v1/keys/key_0000000000000000000000/rotate", {});
    expect(expectProblem(res, 404, "NOT_FOUND").detail).toBe("No key has this id.");
  });

  it("answers 409 KEY_ALREADY_ROTATED for a key rotated already, and issues nothing more", async () => {
    const old = await createKey(t, { ownerId: "owner-rotated-twice" });
    const first = await t.request("POST", `/v1/keys/${old.id}/rotate`, {});
    expect(first.statusCode, first.body).toBe(201);
    const again = expectProblem(
      await t.request("POST", `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 0 }),
      409,
      "KEY_ALREADY_ROTATED",
    );
    expect(again.detail).toContain("replacedBy");
    // The refused rotation changed nothing: the old key is still in its grace window with its first replacement.
    expect(await verifyKey(t, old.key)).toMatchObject({
      valid: true,
      rotation: { replacedBy: first.json().id },
    });
    const owned = await t.request("GET", "/v1/keys?ownerId=owner-rotated-twice&limit=100");
    expect(owned.json().items).toHaveLength(2);
  });

  it("answers 409 KEY_ALREADY_ROTATED for a rotated key even after its grace window ended", async () => {
    const old = await createKey(t);
    await t.request("POST", `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 0 });
    t.clock.advance(60_000);
    expectProblem(await t.request("POST", `/v1/keys/${old.id}/rotate`, {}), 409, "KEY_ALREADY_ROTATED");
  });

  it("answers 409 CONFLICT for a canary key, and issues nothing", async () => {
    const canary = await createKey(t, { ownerId: "owner-canary-rotation", canary: true });
    expect(canary.canary).toBe(true);
    const problem = expectProblem(
      await t.request("POST", `/v1/keys/${canary.id}/rotate`, {}),
      409,
      "CONFLICT",
    );
    expect(problem.detail).toBe("A canary key cannot be rotated.");
    const owned = await t.request("GET", "/v1/keys?ownerId=owner-canary-rotation&limit=100");
    expect(owned.json().items).toHaveLength(1);
  });

  it("answers 409 CONFLICT for a revoked key", async () => {
    const old = await createKey(t, { ownerId: "owner-revoked-rotation" });
    await t.request("POST", `/v1/keys/${old.id}/revoke`, { reason: "leaked" });
    const problem = expectProblem(await t.request("POST", `/v1/keys/${old.id}/rotate`, {}), 409, "CONFLICT");
    expect(problem.detail).toBe("A revoked key cannot be rotated.");
    const owned = await t.request("GET", "/v1/keys?ownerId=owner-revoked-rotation&limit=100");
    expect(owned.json().items).toHaveLength(1);
  });

  it("refuses a grace period over 30 days, negative, fractional or not a number", async () => {
    const old = await createKey(t);
    for (const gracePeriodSeconds of [30 * 86_400 + 1, -1, 1.5, "60", null, 1e20]) {
      const res = await t.request("POST", `/v1/keys/${old.id}/rotate`, { gracePeriodSeconds });
      expect(expectValidationError(res), String(gracePeriodSeconds)).toEqual(["/gracePeriodSeconds"]);
    }
    // None of the refused requests rotated the key.
    expect((await t.request("GET", `/v1/keys/${old.id}`)).json()).toMatchObject({ replacedBy: null });
  });

  it("names an unknown field and refuses a body that is not an object", async () => {
    const old = await createKey(t);
    expect(
      expectValidationError(await t.request("POST", `/v1/keys/${old.id}/rotate`, { graceSeconds: 60 })),
    ).toEqual(["/graceSeconds"]);
    expectValidationError(await t.request("POST", `/v1/keys/${old.id}/rotate`, [60]));
  });

  it("refuses a body that is not JSON, or not application/json", async () => {
    const old = await createKey(t);
    const inject = (contentType: string, payload: string) =>
      t.app.inject({
        method: "POST",
        url: `/v1/keys/${old.id}/rotate`,
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": contentType },
        payload,
      });
    expectProblem(await inject("application/json", "{"), 400, "INVALID_JSON");
    expectProblem(await inject("text/plain", "{}"), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses an id over 64 characters", async () => {
    expect(expectValidationError(await t.request("POST", `/v1/keys/${"k".repeat(65)}/rotate`, {}))).toEqual([
      "/id",
    ]);
  });
});
