import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, expectValidationError } from "../../../../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";
import { UnavailableRateLimiter } from "../../../../../test/support/unavailable-rate-limiter.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const VALID = { namespace: "login", identifier: "user_1", limit: 5, windowMs: 60_000 };

/** Each invalid field of a limit or an override and the pointer it must be named by. */
const BAD_FIELDS: Array<[string, Record<string, unknown>, string[]]> = [
  ["a namespace with a space", { namespace: "log in" }, ["/namespace"]],
  ["a namespace with a slash", { namespace: "a/b" }, ["/namespace"]],
  ["an empty namespace", { namespace: "" }, ["/namespace"]],
  ["a namespace over 64 characters", { namespace: "n".repeat(65) }, ["/namespace"]],
  ["an empty identifier", { identifier: "" }, ["/identifier"]],
  ["an identifier over 256 characters", { identifier: "i".repeat(257) }, ["/identifier"]],
  ["an identifier that is not a string", { identifier: 42 }, ["/identifier"]],
  ["a limit of 0", { limit: 0 }, ["/limit"]],
  ["a limit over 10^12", { limit: 1_000_000_000_001 }, ["/limit"]],
  ["a fractional limit", { limit: 2.5 }, ["/limit"]],
  ["a window under 100 ms", { windowMs: 99 }, ["/windowMs"]],
  ["a window over 30 days", { windowMs: 2_592_000_001 }, ["/windowMs"]],
  ["a limit times window over 2^50", { limit: 1_000_000_000_000, windowMs: 2_592_000_000 }, ["/limit"]],
  ["an unknown field", { burst: 1 }, ["/burst"]],
];

describe("POST /v1/ratelimit validation", () => {
  it.each(BAD_FIELDS)("refuses %s", async (_what, fields, pointers) => {
    expect(expectValidationError(await t.request("POST", "/v1/ratelimit", { ...VALID, ...fields }))).toEqual(
      pointers,
    );
  });

  it("names every missing field, and refuses a cost outside 0-1,000,000", async () => {
    expect(expectValidationError(await t.request("POST", "/v1/ratelimit", {}))).toEqual([
      "/namespace",
      "/identifier",
      "/limit",
      "/windowMs",
    ]);
    for (const cost of [-1, 1_000_001, 0.5, "1"]) {
      const res = await t.request("POST", "/v1/ratelimit", { ...VALID, cost });
      expect(expectValidationError(res), String(cost)).toEqual(["/cost"]);
    }
  });

  it("refuses a body that is not JSON, or none", async () => {
    const inject = (contentType: string | null, payload?: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/ratelimit",
        headers: {
          authorization: `Bearer ${t.rootToken}`,
          ...(contentType === null ? {} : { "content-type": contentType }),
        },
        ...(payload === undefined ? {} : { payload }),
      });
    expectProblem(await inject("application/json", '{"namespace":'), 400, "INVALID_JSON");
    expectProblem(await inject("text/plain", JSON.stringify(VALID)), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(expectValidationError(await inject(null))).toEqual(["/"]);
  });
});

describe("PUT /v1/ratelimit/overrides validation", () => {
  it.each(BAD_FIELDS)("refuses %s and stores nothing", async (_what, fields, pointers) => {
    const body = { ...VALID, namespace: "put.checks", ...fields };
    expect(expectValidationError(await t.request("PUT", "/v1/ratelimit/overrides", body))).toEqual(pointers);
    const listed = await t.request("GET", "/v1/ratelimit/overrides?namespace=put.checks");
    expect(listed.json().items).toEqual([]);
  });

  it("refuses a cost, which an override does not have", async () => {
    expect(
      expectValidationError(await t.request("PUT", "/v1/ratelimit/overrides", { ...VALID, cost: 1 })),
    ).toEqual(["/cost"]);
  });
});

describe("GET /v1/ratelimit/overrides validation", () => {
  it("needs a valid namespace, and refuses a bad limit, a bad cursor and unknown parameters", async () => {
    const cases: Array<[string, string[]]> = [
      ["/v1/ratelimit/overrides", ["/namespace"]],
      ["/v1/ratelimit/overrides?namespace=a%20b", ["/namespace"]],
      ["/v1/ratelimit/overrides?namespace=a&limit=0", ["/limit"]],
      ["/v1/ratelimit/overrides?namespace=a&limit=101", ["/limit"]],
      ["/v1/ratelimit/overrides?namespace=a&cursor=!!", ["/cursor"]],
      [`/v1/ratelimit/overrides?namespace=a&cursor=${"A".repeat(1_367)}`, ["/cursor"]],
      ["/v1/ratelimit/overrides?namespace=a&identifier=x", ["/identifier"]],
    ];
    for (const [url, expected] of cases) {
      expect(expectValidationError(await t.request("GET", url)), url).toEqual(expected);
    }
  });
});

describe("DELETE /v1/ratelimit/overrides", () => {
  it("answers NOT_FOUND when the namespace has no override for the identifier", async () => {
    await t.request("PUT", "/v1/ratelimit/overrides", { ...VALID, namespace: "del", identifier: "kept" });
    expectProblem(
      await t.request("DELETE", "/v1/ratelimit/overrides?namespace=del&identifier=absent"),
      404,
      "NOT_FOUND",
    );
    expectProblem(
      await t.request("DELETE", "/v1/ratelimit/overrides?namespace=other&identifier=kept"),
      404,
      "NOT_FOUND",
    );
    expect((await t.request("GET", "/v1/ratelimit/overrides?namespace=del")).json().items).toHaveLength(1);
  });

  it("needs both namespace and identifier in the query", async () => {
    expect(expectValidationError(await t.request("DELETE", "/v1/ratelimit/overrides"))).toEqual([
      "/namespace",
      "/identifier",
    ]);
    expect(
      expectValidationError(await t.request("DELETE", "/v1/ratelimit/overrides?namespace=del&identifier=")),
    ).toEqual(["/identifier"]);
  });
});

describe("POST /v1/ratelimit while the rate limiter is down", () => {
  it("answers success, uncounted and marked degraded (fail open by default)", async () => {
    const down = await createTestApp({ limiter: new UnavailableRateLimiter() });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await down.request("POST", "/v1/ratelimit", { ...VALID, limit: 1 });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ success: true, limit: 1, degraded: true });
      }
      // Overrides live in the store, not the limiter: they still work.
      const put = await down.request("PUT", "/v1/ratelimit/overrides", VALID);
      expect(put.statusCode, put.body).toBe(200);
      const overridden = await down.request("POST", "/v1/ratelimit", { ...VALID, limit: 1 });
      expect(overridden.json()).toMatchObject({ success: true, limit: 5, degraded: true });
    } finally {
      await down.close();
    }
  });

  it("answers 503 RATE_LIMITER_UNAVAILABLE when KEYWARD_RATELIMIT_FAIL_OPEN is false", async () => {
    const down = await createTestApp({
      limiter: new UnavailableRateLimiter(),
      env: { KEYWARD_RATELIMIT_FAIL_OPEN: "false" },
    });
    try {
      expectProblem(await down.request("POST", "/v1/ratelimit", VALID), 503, "RATE_LIMITER_UNAVAILABLE");
    } finally {
      await down.close();
    }
  });
});
