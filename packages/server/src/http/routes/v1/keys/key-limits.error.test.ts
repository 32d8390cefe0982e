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

const rule = (fields: Record<string, unknown> = {}) => ({
  name: "requests",
  limit: 10,
  windowMs: 1_000,
  ...fields,
});

/** Each invalid limit setting and the pointer it must be named by, for create and update alike. */
const BAD_LIMIT_FIELDS: Array<[string, Record<string, unknown>, string[]]> = [
  [
    "more than 10 rate limits",
    { rateLimits: Array.from({ length: 11 }, (_, i) => rule({ name: `l${i}` })) },
    ["/rateLimits"],
  ],
  ["a name with a space", { rateLimits: [rule({ name: "a b" })] }, ["/rateLimits/0/name"]],
  ["an empty name", { rateLimits: [rule({ name: "" })] }, ["/rateLimits/0/name"]],
  ["a name over 64 characters", { rateLimits: [rule({ name: "n".repeat(65) })] }, ["/rateLimits/0/name"]],
  ["a repeated name", { rateLimits: [rule(), rule({ limit: 5 })] }, ["/rateLimits/1/name"]],
  ["a limit of 0", { rateLimits: [rule({ limit: 0 })] }, ["/rateLimits/0/limit"]],
  ["a limit over 10^12", { rateLimits: [rule({ limit: 1_000_000_000_001 })] }, ["/rateLimits/0/limit"]],
  ["a fractional limit", { rateLimits: [rule({ limit: 1.5 })] }, ["/rateLimits/0/limit"]],
  [
    "a limit times window over 2^50",
    { rateLimits: [rule({ limit: 1_000_000_000_000, windowMs: 2_592_000_000 })] },
    ["/rateLimits/0/limit"],
  ],
  ["a window under 100 ms", { rateLimits: [rule({ windowMs: 99 })] }, ["/rateLimits/0/windowMs"]],
  ["a window over 30 days", { rateLimits: [rule({ windowMs: 2_592_000_001 })] }, ["/rateLimits/0/windowMs"]],
  ["an unknown field in a rate limit", { rateLimits: [rule({ burst: 2 })] }, ["/rateLimits/0/burst"]],
  ["a missing windowMs", { rateLimits: [{ name: "a", limit: 1 }] }, ["/rateLimits/0/windowMs"]],
  ["rateLimits that are not a list", { rateLimits: { name: "a" } }, ["/rateLimits"]],
  ["a negative quota", { quota: { remaining: -1 } }, ["/quota/remaining"]],
  ["a quota over 10^12", { quota: { remaining: 1_000_000_000_001 } }, ["/quota/remaining"]],
  ["a fractional quota", { quota: { remaining: 0.5 } }, ["/quota/remaining"]],
  ["a quota without remaining", { quota: { refill: null } }, ["/quota/remaining"]],
  [
    "a refill amount of 0",
    { quota: { remaining: 1, refill: { amount: 0, interval: "day" } } },
    ["/quota/refill/amount"],
  ],
  [
    "a weekly refill",
    { quota: { remaining: 1, refill: { amount: 1, interval: "week" } } },
    ["/quota/refill/interval"],
  ],
  ["a quota that is a number", { quota: 5 }, ["/quota"]],
  ["an unknown field in a quota", { quota: { remaining: 1, used: 0 } }, ["/quota/used"]],
  ["an allowlist that is a string", { ipAllowlist: "10.0.0.0/8" }, ["/ipAllowlist"]],
];

describe("POST /v1/keys and PATCH /v1/keys/{id} limit validation", () => {
  it.each(BAD_LIMIT_FIELDS)("refuse %s, naming its pointer", async (_what, body, pointers) => {
    expect(expectValidationError(await t.request("POST", "/v1/keys", body))).toEqual(pointers);
    const key = await createKey(t, { rateLimits: [rule()], quota: { remaining: 3 } });
    expect(expectValidationError(await t.request("PATCH", `/v1/keys/${key.id}`, body))).toEqual(pointers);
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json()).toMatchObject({
      rateLimits: [rule()],
      quota: { remaining: 3 },
    });
  });

  it("accept the bounds: 10 limits, 100 ms and 30 day windows, a quota of 0 and of 10^12", async () => {
    const rateLimits = Array.from({ length: 10 }, (_, i) =>
      rule({ name: `l${i}`, windowMs: i % 2 === 0 ? 100 : 2_592_000_000 }),
    );
    await createKey(t, { rateLimits, quota: { remaining: 0 } });
    await createKey(t, {
      quota: { remaining: 1_000_000_000_000, refill: { amount: 1_000_000_000_000, interval: "day" } },
    });
  });
});

describe("POST /v1/keys/verify limit fields", () => {
  it("refuses a cost outside 0-1,000,000 or not a whole number", async () => {
    for (const cost of [-1, 1_000_001, 1.5, "1", null]) {
      const res = await t.request("POST", "/v1/keys/verify", { key: "kw_x", cost });
      expect(expectValidationError(res), String(cost)).toEqual(["/cost"]);
    }
  });

  it("names a rate limit the key does not have, or names one twice, and spends nothing", async () => {
    const key = await createKey(t, {
      rateLimits: [rule({ name: "requests", limit: 2 }), rule({ name: "tokens", limit: 2 })],
    });
    const unknown = await t.request("POST", "/v1/keys/verify", {
      key: key.key,
      rateLimits: [{ name: "requests" }, { name: "nope" }],
    });
    expect(expectValidationError(unknown)).toEqual(["/rateLimits/1/name"]);
    const twice = await t.request("POST", "/v1/keys/verify", {
      key: key.key,
      rateLimits: [{ name: "tokens" }, { name: "tokens", cost: 2 }],
    });
    expect(expectValidationError(twice)).toEqual(["/rateLimits/1/name"]);
    expect((await verifyKey(t, key.key)).rateLimits).toEqual([
      expect.objectContaining({ name: "requests", remaining: 1 }),
      expect.objectContaining({ name: "tokens", remaining: 1 }),
    ]);
  });

  it("names a rate limit of a key that has none", async () => {
    const plain = await createKey(t);
    const res = await t.request("POST", "/v1/keys/verify", {
      key: plain.key,
      rateLimits: [{ name: "requests" }],
    });
    expect(expectValidationError(res)).toEqual(["/rateLimits/0/name"]);
    expect(await verifyKey(t, plain.key, { rateLimits: [] })).toMatchObject({ code: "VALID" });
  });

  it("refuses malformed named limits: bad names, unknown fields, bad costs, more than 10", async () => {
    const cases: Array<[unknown, string[]]> = [
      [[{ name: "a b" }], ["/rateLimits/0/name"]],
      [[{}], ["/rateLimits/0/name"]],
      [[{ name: "a", cost: -1 }], ["/rateLimits/0/cost"]],
      [[{ name: "a", duration: 5 }], ["/rateLimits/0/duration"]],
      [[{ name: "a", limit: 0 }], ["/rateLimits/0/limit"]],
      [[{ name: "a", windowMs: 1.5 }], ["/rateLimits/0/windowMs"]],
      [Array.from({ length: 11 }, (_, i) => ({ name: `l${i}` })), ["/rateLimits"]],
      ["requests", ["/rateLimits"]],
    ];
    for (const [rateLimits, pointers] of cases) {
      const res = await t.request("POST", "/v1/keys/verify", { key: "kw_x", rateLimits });
      expect(expectValidationError(res), JSON.stringify(rateLimits)).toEqual(pointers);
    }
  });
});

describe("POST /v1/keys/{id}/quota", () => {
  it("needs exactly one of set, increment or decrement, as a whole number from 0", async () => {
    const key = await createKey(t, { quota: { remaining: 5 } });
    const url = `/v1/keys/${key.id}/quota`;
    expect(expectValidationError(await t.request("POST", url, {}))).toEqual(["/"]);
    expect(expectValidationError(await t.request("POST", url, { set: 1, increment: 1 }))).toEqual(["/"]);
    expect(expectValidationError(await t.request("POST", url, { add: 1 }))).toEqual(["/add"]);
    for (const value of [-1, 1.5, "1", null, 1_000_000_000_001]) {
      expect(
        expectValidationError(await t.request("POST", url, { decrement: value })),
        String(value),
      ).toEqual(["/decrement"]);
    }
    const missing = await t.app.inject({
      method: "POST",
      url,
      headers: { authorization: `Bearer ${t.rootToken}` },
    });
    expect(expectValidationError(missing)).toEqual(["/"]);
    expect((await t.request("GET", `/v1/keys/${key.id}`)).json().quota.remaining).toBe(5);
  });

  it("answers CONFLICT for a key without a quota or a revoked key, NOT_FOUND for an unknown one", async () => {
    const plain = await createKey(t);
    expectProblem(await t.request("POST", `/v1/keys/${plain.id}/quota`, { set: 1 }), 409, "CONFLICT");
    const revoked = await createKey(t, { quota: { remaining: 1 } });
    await t.request("POST", `/v1/keys/${revoked.id}/revoke`, {});
    expectProblem(await t.request("POST", `/v1/keys/${revoked.id}/quota`, { set: 9 }), 409, "CONFLICT");
    expectProblem(
      await t.request("POST", "/v1/keys/key_0000000000000000000000/quota", { set: 1 }),
      404,
      "NOT_FOUND",
    );
    expect(
      expectValidationError(await t.request("POST", `/v1/keys/${"k".repeat(65)}/quota`, { set: 1 })),
    ).toEqual(["/id"]);
  });

  it("refuses a body that is not JSON", async () => {
    const key = await createKey(t, { quota: { remaining: 1 } });
    const inject = (contentType: string, payload: string) =>
      t.app.inject({
        method: "POST",
        url: `/v1/keys/${key.id}/quota`,
        headers: { authorization: `Bearer ${t.rootToken}`, "content-type": contentType },
        payload,
      });
    expectProblem(await inject("application/json", '{"set":'), 400, "INVALID_JSON");
    expectProblem(await inject("text/plain", '{"set":1}'), 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});
