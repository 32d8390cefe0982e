import { KeywardError } from "@keyward/core/keyward-error.js";
import {
  BadRequestErrorResponse,
  ForbiddenErrorResponse,
  NotFoundErrorResponse,
  UnauthorizedErrorResponse,
} from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createProject, mintToken } from "../../../../test/support/api-helpers.js";
import { startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";
import type { Principal } from "../../../services/principal.js";
import { permissionId } from "./keys-write.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const DAY_MS = 86_400_000;

let target: UnkeyTarget;
let apiId: string;
beforeAll(async () => {
  target = await startUnkeyTarget();
  apiId = await createProject(target.t, { name: "billing", keyPrefix: "bill" });
});
afterAll(async () => {
  await target.close();
});

const keyOf = (id: string) => target.t.instance.keys.getKey(root, id);
const verify = async (key: string) => (await target.t.instance.keys.verifyKey(root, { key })).code;
const create = async (extra: Record<string, unknown> = {}) =>
  (await target.unkey.keys.createKey({ apiId, ...extra })).data;

/** Runs `call` and returns the error it rejects with, failing the test when it resolves. */
async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** Asserts a typed 400 whose errors[] names `location` and whose detail matches `detail`. */
async function expectBadRequest(call: Promise<unknown>, location: string, detail?: RegExp): Promise<void> {
  const error = await failure(call);
  expect(error).toBeInstanceOf(BadRequestErrorResponse);
  const bad = error as BadRequestErrorResponse;
  expect(bad.data$.error.status).toBe(400);
  expect(bad.data$.error.errors.map((e) => e.location)).toContain(location);
  if (detail !== undefined) expect(bad.data$.error.detail).toMatch(detail);
}

describe("POST /v2/keys.createKey", () => {
  it("still answers the new key when its externalId's identity cannot be created", async () => {
    const ensure = vi
      .spyOn(target.t.instance.identities, "ensureIdentity")
      .mockRejectedValueOnce(new KeywardError("STORE_UNAVAILABLE", "The store did not answer."));
    try {
      const created = await create({ externalId: "user_outage" });
      expect(await verify(created.key)).toBe("VALID");
      expect((await keyOf(created.keyId)).ownerId).toBe("user_outage");
      expect(ensure).toHaveBeenCalledOnce();
    } finally {
      ensure.mockRestore();
    }
  });

  it("maps prefix, name, externalId, meta, permissions, expiry, credits with refill and ratelimits", async () => {
    const expires = target.t.clock.now() + DAY_MS;
    const created = await create({
      prefix: "sk_live",
      name: "deploy",
      externalId: "user_1",
      meta: { plan: "pro", nested: { a: 1 } },
      permissions: ["documents.read", "documents.write"],
      expires,
      credits: { remaining: 10, refill: { interval: "monthly", amount: 100, refillDay: 1 } },
      ratelimits: [{ name: "requests", limit: 5, duration: 60_000, autoApply: true }],
    });
    expect(created.key).toMatch(/^sk_live_/);
    expect(created.keyId).toMatch(/^key_/);
    const stored = await keyOf(created.keyId);
    expect(stored).toMatchObject({
      projectId: apiId,
      name: "deploy",
      ownerId: "user_1",
      meta: { plan: "pro", nested: { a: 1 } },
      scopes: ["documents.read", "documents.write"],
      expiresAt: expires,
      enabled: true,
      rateLimits: [{ name: "requests", limit: 5, windowMs: 60_000 }],
      quota: { remaining: 10, refill: { amount: 100, interval: "month" } },
    });
    expect(await verify(created.key)).toBe("VALID");
  });

  it("takes the project's prefix without one, maps a daily refill, disabled keys and autoApply false", async () => {
    const created = await create({
      enabled: false,
      credits: { remaining: 3, refill: { interval: "daily", amount: 3 } },
      ratelimits: [{ name: "burst", limit: 1, duration: 1_000, autoApply: false }],
    });
    expect(created.key).toMatch(/^bill_/);
    const stored = await keyOf(created.keyId);
    expect(stored.enabled).toBe(false);
    expect(stored.quota).toMatchObject({ remaining: 3, refill: { amount: 3, interval: "day" } });
    // Keyward applies every limit of a key to every verification: autoApply false is stored the same way.
    expect(stored.rateLimits).toEqual([{ name: "burst", limit: 1, windowMs: 1_000 }]);
    expect(await verify(created.key)).toBe("DISABLED");
  });

  it("stores unlimited credits (remaining null) as no quota", async () => {
    const created = await create({ credits: { remaining: null } });
    expect((await keyOf(created.keyId)).quota).toBeNull();
  });

  it("answers typed 400s naming the field for bad input", async () => {
    await expectBadRequest(create({ prefix: "Bad-Prefix" }), "body/prefix");
    await expectBadRequest(create({ byteLength: 8 }), "body/byteLength");
    await expectBadRequest(create({ expires: target.t.clock.now() - 1 }), "body/expires");
    await expectBadRequest(create({ roles: ["admin"] }), "body/roles/0", /roles do not exist/);
    await expectBadRequest(create({ recoverable: true }), "body/recoverable", /recoverable keys/);
    await expectBadRequest(
      create({ credits: { remaining: 5, refill: { interval: "monthly", amount: 5, refillDay: 15 } } }),
      "body/credits/refill/refillDay",
      /1st of the month/,
    );
    await expectBadRequest(
      create({ credits: { remaining: 5, refill: { interval: "daily", amount: 5, refillDay: 1 } } }),
      "body/credits/refill/refillDay",
    );
    await expectBadRequest(
      create({ credits: { remaining: null, refill: { interval: "daily", amount: 5 } } }),
      "body/credits/refill",
    );
    await expectBadRequest(
      create({ ratelimits: [{ name: "r", limit: 1, duration: 10 }] }),
      "body/ratelimits/0/duration",
    );
  });

  it("accepts every byteLength from 16 to 64 and recoverable false", async () => {
    for (const byteLength of [16, 32, 64]) {
      const created = await create({ byteLength, recoverable: false });
      expect(await verify(created.key)).toBe("VALID");
    }
  });

  it("answers 404 NotFound for an unknown apiId or a project the token cannot see", async () => {
    expect(await failure(target.unkey.keys.createKey({ apiId: "proj_missing" }))).toBeInstanceOf(
      NotFoundErrorResponse,
    );
    const other = await createProject(target.t, { name: "other" });
    const limited = await mintToken(target.t, ["keys:create"], { projectIds: [apiId] });
    const client = target.clientWith(limited.token);
    expect(await failure(client.keys.createKey({ apiId: other }))).toBeInstanceOf(NotFoundErrorResponse);
    expect((await client.keys.createKey({ apiId })).data.key).toMatch(/^bill_/);
  });
});

describe("POST /v2/keys.updateKey", () => {
  it("leaves absent fields alone and clears null ones", async () => {
    const created = await create({
      name: "n",
      externalId: "user_1",
      meta: { a: 1 },
      expires: target.t.clock.now() + DAY_MS,
      credits: { remaining: 10, refill: { interval: "daily", amount: 10 } },
      permissions: ["a"],
    });
    await target.unkey.keys.updateKey({ keyId: created.keyId, enabled: false });
    expect(await keyOf(created.keyId)).toMatchObject({
      name: "n",
      ownerId: "user_1",
      meta: { a: 1 },
      enabled: false,
      scopes: ["a"],
      quota: { remaining: 10 },
    });
    await target.unkey.keys.updateKey({
      keyId: created.keyId,
      name: null,
      externalId: null,
      meta: null,
      expires: null,
      credits: null,
      enabled: true,
    });
    expect(await keyOf(created.keyId)).toMatchObject({
      name: null,
      ownerId: null,
      meta: {},
      expiresAt: null,
      quota: null,
      enabled: true,
      scopes: ["a"],
    });
  });

  it("sets values, replaces ratelimits and permissions, and keeps the refill when credits omit it", async () => {
    const created = await create({
      credits: { remaining: 10, refill: { interval: "monthly", amount: 50 } },
      ratelimits: [{ name: "a", limit: 1, duration: 1_000, autoApply: true }],
    });
    const expires = target.t.clock.now() + 2 * DAY_MS;
    await target.unkey.keys.updateKey({
      keyId: created.keyId,
      name: "renamed",
      externalId: "user_2",
      meta: { b: 2 },
      expires,
      credits: { remaining: 7 },
      ratelimits: [{ name: "b", limit: 2, duration: 2_000, autoApply: true }],
      permissions: ["x", "y"],
    });
    expect(await keyOf(created.keyId)).toMatchObject({
      name: "renamed",
      ownerId: "user_2",
      meta: { b: 2 },
      expiresAt: expires,
      quota: { remaining: 7, refill: { amount: 50, interval: "month" } },
      rateLimits: [{ name: "b", limit: 2, windowMs: 2_000 }],
      scopes: ["x", "y"],
    });
    await target.unkey.keys.updateKey({ keyId: created.keyId, credits: { remaining: 4, refill: null } });
    expect((await keyOf(created.keyId)).quota).toMatchObject({ remaining: 4, refill: null });
    await target.unkey.keys.updateKey({ keyId: created.keyId, credits: { remaining: null } });
    expect((await keyOf(created.keyId)).quota).toBeNull();
  });

  it("refuses unknown roles, credits without remaining, and an unknown key", async () => {
    const { keyId } = await create();
    await expectBadRequest(target.unkey.keys.updateKey({ keyId, roles: ["admin"] }), "body/roles/0");
    await expectBadRequest(
      target.unkey.keys.updateKey({ keyId, credits: { refill: { interval: "daily", amount: 1 } } }),
      "body/credits/remaining",
    );
    expect(
      await failure(target.unkey.keys.updateKey({ keyId: "key_missing", enabled: false })),
    ).toBeInstanceOf(NotFoundErrorResponse);
  });
});

describe("POST /v2/keys.deleteKey", () => {
  it("revokes the key, which then verifies as NOT_FOUND through Unkey's verify", async () => {
    const created = await create();
    await target.unkey.keys.deleteKey({ keyId: created.keyId });
    expect((await keyOf(created.keyId)).revokedAt).not.toBeNull();
    expect(await verify(created.key)).toBe("REVOKED");
  });

  it("erases the key with permanent: true; getKey answers 404 and the audit entry stays", async () => {
    const created = await create();
    await target.unkey.keys.deleteKey({ keyId: created.keyId, permanent: true });
    expect(await verify(created.key)).toBe("NOT_FOUND");
    expect(await failure(target.unkey.keys.getKey({ keyId: created.keyId }))).toBeInstanceOf(
      NotFoundErrorResponse,
    );
    expect((await target.t.request("GET", `/v1/keys/${created.keyId}`)).statusCode).toBe(404);
    const audit = await target.t.request("GET", `/v1/audit?targetId=${created.keyId}`);
    expect((audit.json() as { items: { action: string }[] }).items.map((e) => e.action)).toContain(
      "key.deleted",
    );
    expect(
      await failure(target.unkey.keys.deleteKey({ keyId: created.keyId, permanent: true })),
    ).toBeInstanceOf(NotFoundErrorResponse);
  });

  it("answers 404 for an unknown key", async () => {
    expect(await failure(target.unkey.keys.deleteKey({ keyId: "key_missing" }))).toBeInstanceOf(
      NotFoundErrorResponse,
    );
  });
});

describe("POST /v2/keys.rerollKey", () => {
  it("returns a working key with the old prefix; the old key stops when the grace (rounded up) ends", async () => {
    const created = await create({ prefix: "sk", permissions: ["a"], meta: { m: 1 } });
    const rerolled = (await target.unkey.keys.rerollKey({ keyId: created.keyId, expiration: 1_500 })).data;
    expect(rerolled.keyId).not.toBe(created.keyId);
    expect(rerolled.key).toMatch(/^sk_/);
    expect(await keyOf(rerolled.keyId)).toMatchObject({
      scopes: ["a"],
      meta: { m: 1 },
      replaces: created.keyId,
    });
    expect(await verify(rerolled.key)).toBe("VALID");
    expect(await verify(created.key)).toBe("VALID");
    target.t.clock.advance(1_999);
    expect(await verify(created.key)).toBe("VALID");
    target.t.clock.advance(1);
    expect(await verify(created.key)).toBe("EXPIRED");
    expect(await verify(rerolled.key)).toBe("VALID");
  });

  it("ends the old key at once with expiration 0 and refuses more than 30 days", async () => {
    const created = await create();
    const rerolled = (await target.unkey.keys.rerollKey({ keyId: created.keyId, expiration: 0 })).data;
    expect(await verify(created.key)).toBe("EXPIRED");
    expect(rerolled.key).toMatch(/^bill_/);
    const other = await create();
    await expectBadRequest(
      target.unkey.keys.rerollKey({ keyId: other.keyId, expiration: 30 * DAY_MS + 1 }),
      "body/expiration",
    );
    expect(
      await failure(target.unkey.keys.rerollKey({ keyId: "key_missing", expiration: 0 })),
    ).toBeInstanceOf(NotFoundErrorResponse);
  });
});

describe("POST /v2/keys.updateCredits", () => {
  it("sets, increments and decrements (stopping at 0) the live balance, and set null makes it unlimited", async () => {
    const created = await create({ credits: { remaining: 10, refill: { interval: "daily", amount: 10 } } });
    const keyId = created.keyId;
    const increment = await target.unkey.keys.updateCredits({ keyId, operation: "increment", value: 5 });
    expect(increment.data).toEqual({ remaining: 15, refill: { interval: "daily", amount: 10 } });
    const decrement = await target.unkey.keys.updateCredits({ keyId, operation: "decrement", value: 100 });
    expect(decrement.data.remaining).toBe(0);
    expect(await verify(created.key)).toBe("USAGE_EXCEEDED");
    const set = await target.unkey.keys.updateCredits({ keyId, operation: "set", value: 2 });
    expect(set.data.remaining).toBe(2);
    expect(await verify(created.key)).toBe("VALID");
    expect((await keyOf(keyId)).quota?.remaining).toBe(1);
    const unlimited = await target.unkey.keys.updateCredits({ keyId, operation: "set", value: null });
    expect(unlimited.data).toEqual({ remaining: null });
    expect((await keyOf(keyId)).quota).toBeNull();
  });

  it("gives an unlimited key credits with set, and refuses increment on unlimited credits", async () => {
    const { keyId } = await create();
    await expectBadRequest(
      target.unkey.keys.updateCredits({ keyId, operation: "increment", value: 1 }),
      "body/operation",
      /unlimited/,
    );
    const set = await target.unkey.keys.updateCredits({ keyId, operation: "set", value: 3 });
    expect(set.data).toEqual({ remaining: 3 });
    expect((await keyOf(keyId)).quota).toMatchObject({ remaining: 3, refill: null });
    await expectBadRequest(
      target.unkey.keys.updateCredits({ keyId, operation: "decrement", value: null }),
      "body/value",
    );
    await expectBadRequest(target.unkey.keys.updateCredits({ keyId, operation: "set" }), "body/value");
  });

  it("reports a monthly refill with refillDay 1", async () => {
    const { keyId } = await create({ credits: { remaining: 1, refill: { interval: "monthly", amount: 9 } } });
    const res = await target.unkey.keys.updateCredits({ keyId, operation: "increment", value: 1 });
    expect(res.data).toEqual({ remaining: 2, refill: { interval: "monthly", amount: 9, refillDay: 1 } });
  });
});

describe("POST /v2/keys.{add,set,remove}Permissions", () => {
  it("adds idempotently, sets the whole list and removes by name or by the returned id", async () => {
    const { keyId } = await create({ permissions: ["a"] });
    const added = await target.unkey.keys.addPermissions({ keyId, permissions: ["b", "a", "c"] });
    expect(added.data.map((p) => p.name)).toEqual(["a", "b", "c"]);
    expect(added.data[0]).toEqual({ id: permissionId("a"), name: "a", slug: "a" });
    expect(permissionId("a")).toMatch(/^perm_[0-9a-f]{16}$/);
    const removed = await target.unkey.keys.removePermissions({
      keyId,
      permissions: ["a", permissionId("c")],
    });
    expect(removed.data.map((p) => p.name)).toEqual(["b"]);
    const set = await target.unkey.keys.setPermissions({ keyId, permissions: ["x", "y"] });
    expect(set.data.map((p) => p.slug)).toEqual(["x", "y"]);
    expect((await keyOf(keyId)).scopes).toEqual(["x", "y"]);
    const cleared = await target.unkey.keys.setPermissions({ keyId, permissions: [] });
    expect(cleared.data).toEqual([]);
  });

  it("refuses an invalid permission name with a typed 400 and an unknown key with 404", async () => {
    const { keyId } = await create();
    await expectBadRequest(
      target.unkey.keys.addPermissions({ keyId, permissions: ["has space"] }),
      "body/permissions/0",
    );
    expect(
      await failure(target.unkey.keys.setPermissions({ keyId: "key_missing", permissions: ["a"] })),
    ).toBeInstanceOf(NotFoundErrorResponse);
  });
});

describe("authentication and permissions", () => {
  it("answers 401 Unauthorized for an unknown root key", async () => {
    const client = target.clientWith("kwr_not_a_real_token");
    expect(await failure(client.keys.createKey({ apiId }))).toBeInstanceOf(UnauthorizedErrorResponse);
  });

  it("answers 403 Forbidden when the token lacks each operation's permission", async () => {
    const { keyId } = await create();
    const reader = target.clientWith((await mintToken(target.t, ["keys:read"])).token);
    const calls: Promise<unknown>[] = [
      reader.keys.createKey({ apiId }),
      reader.keys.updateKey({ keyId, enabled: false }),
      reader.keys.deleteKey({ keyId }),
      reader.keys.rerollKey({ keyId, expiration: 0 }),
      reader.keys.updateCredits({ keyId, operation: "set", value: 1 }),
      reader.keys.addPermissions({ keyId, permissions: ["a"] }),
      reader.keys.setPermissions({ keyId, permissions: ["a"] }),
      reader.keys.removePermissions({ keyId, permissions: ["a"] }),
    ];
    for (const call of calls) expect(await failure(call)).toBeInstanceOf(ForbiddenErrorResponse);
    // A token with keys:update alone may change credits and permissions: nothing there needs keys:read.
    const updater = target.clientWith((await mintToken(target.t, ["keys:update"])).token);
    expect((await updater.keys.addPermissions({ keyId, permissions: ["p"] })).data).toHaveLength(1);
    expect((await updater.keys.updateCredits({ keyId, operation: "set", value: 1 })).data.remaining).toBe(1);
    expect(await verify((await create()).key)).toBe("VALID");
  });
});
