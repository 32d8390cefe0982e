import {
  BadRequestErrorResponse,
  ForbiddenErrorResponse,
  NotFoundErrorResponse,
  UnauthorizedErrorResponse,
} from "@unkey/api/models/errors";
import { Ratelimit } from "@unkey/ratelimit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken } from "../../../../test/support/api-helpers.js";
import { rejection, startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";
import { overrideIdOf } from "./ratelimit.js";

let target: UnkeyTarget;
beforeAll(async () => {
  target = await startUnkeyTarget();
});
afterAll(async () => {
  await target.close();
});

let counter = 0;
/** A fresh identifier, so no test shares a count with another. */
function freshIdentifier(): string {
  counter += 1;
  return `user_${counter}`;
}

describe("ratelimit.limit with @unkey/api", () => {
  it("admits up to the limit, then answers HTTP 200 success:false with reset in the window ahead", async () => {
    const identifier = freshIdentifier();
    const body = { namespace: "api.calls", identifier, limit: 3, duration: 60_000 };
    const now = target.t.clock.now();
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { data } = await target.unkey.ratelimit.limit(body);
      expect(data).toMatchObject({ success: true, limit: 3 });
      expect(data.overrideId).toBeUndefined();
      remaining.push(data.remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);

    const refused = await target.unkey.ratelimit.limit(body);
    expect(refused.data).toMatchObject({ success: false, limit: 3, remaining: 0 });
    expect(Number.isInteger(refused.data.reset)).toBe(true);
    expect(refused.data.reset).toBeGreaterThan(now);
    expect(refused.data.reset).toBeLessThanOrEqual(now + 60_000);

    // Same namespace, other identifier: its own count.
    const other = await target.unkey.ratelimit.limit({ ...body, identifier: freshIdentifier() });
    expect(other.data).toMatchObject({ success: true, remaining: 2 });
  });

  it("admits again once the window has passed on the server's clock", async () => {
    const body = { namespace: "api.window", identifier: freshIdentifier(), limit: 1, duration: 1_000 };
    expect((await target.unkey.ratelimit.limit(body)).data.success).toBe(true);
    expect((await target.unkey.ratelimit.limit(body)).data.success).toBe(false);
    target.t.clock.advance(2_000);
    expect((await target.unkey.ratelimit.limit(body)).data.success).toBe(true);
  });

  it("charges cost units, and cost 0 only looks", async () => {
    const body = { namespace: "api.cost", identifier: freshIdentifier(), limit: 10, duration: 60_000 };
    expect((await target.unkey.ratelimit.limit({ ...body, cost: 4 })).data.remaining).toBe(6);
    expect((await target.unkey.ratelimit.limit({ ...body, cost: 0 })).data).toMatchObject({
      success: true,
      remaining: 6,
    });
    expect((await target.unkey.ratelimit.limit({ ...body, cost: 7 })).data).toMatchObject({
      success: false,
      remaining: 6,
    });
  });

  it("answers typed 400s naming the field, 401 for an unknown root key and 403 without ratelimit:limit", async () => {
    const valid = { namespace: "api.errors", identifier: "u", limit: 5, duration: 60_000 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ namespace: "has space" }, "body/namespace"],
      [{ limit: 0 }, "body/limit"],
      [{ duration: 99 }, "body/duration"],
      [{ identifier: "" }, "body/identifier"],
      [{ cost: -1 }, "body/cost"],
    ];
    for (const [fields, location] of cases) {
      const error = await rejection(
        target.unkey.ratelimit.limit({ ...valid, ...fields } as typeof valid),
        BadRequestErrorResponse,
      );
      expect(
        error.error.errors.map((e) => e.location),
        location,
      ).toEqual([location]);
    }
    await rejection(target.clientWith("kwr_unknown").ratelimit.limit(valid), UnauthorizedErrorResponse);
    const reader = target.clientWith((await mintToken(target.t, ["ratelimit:read"])).token);
    await rejection(reader.ratelimit.limit(valid), ForbiddenErrorResponse);
    const checker = target.clientWith((await mintToken(target.t, ["ratelimit:limit"])).token);
    expect((await checker.ratelimit.limit(valid)).data.success).toBe(true);
  });
});

describe("ratelimit.multiLimit", () => {
  it("checks each limit on its own and passes only when all pass", async () => {
    const identifier = freshIdentifier();
    const checks = [
      { namespace: "multi.minute", identifier, limit: 5, duration: 60_000 },
      { namespace: "multi.burst", identifier, limit: 1, duration: 60_000 },
    ];
    const first = await target.unkey.ratelimit.multiLimit(checks);
    expect(first.data.passed).toBe(true);
    expect(first.data.limits).toEqual([
      expect.objectContaining({
        namespace: "multi.minute",
        identifier,
        limit: 5,
        remaining: 4,
        passed: true,
      }),
      expect.objectContaining({ namespace: "multi.burst", identifier, limit: 1, remaining: 0, passed: true }),
    ]);
    const second = await target.unkey.ratelimit.multiLimit(checks);
    expect(second.data.passed).toBe(false);
    expect(second.data.limits.map((l) => [l.passed, l.remaining])).toEqual([
      [true, 3],
      [false, 0],
    ]);
    for (const limit of second.data.limits) expect(limit.reset).toBeGreaterThan(target.t.clock.now());
  });

  it("refuses an empty array and a bad item with a typed 400", async () => {
    await rejection(target.unkey.ratelimit.multiLimit([]), BadRequestErrorResponse);
    const error = await rejection(
      target.unkey.ratelimit.multiLimit([
        { namespace: "ok", identifier: "u", limit: 1, duration: 60_000 },
        { namespace: "ok", identifier: "u", limit: 0, duration: 60_000 },
      ]),
      BadRequestErrorResponse,
    );
    expect(error.error.errors.map((e) => e.location)).toEqual(["body/1/limit"]);
  });
});

describe("ratelimit overrides", () => {
  it("set, apply with their overrideId, read, list page by page and delete", async () => {
    const namespace = "ovr.flow";
    const set = await target.unkey.ratelimit.setOverride({
      namespace,
      identifier: "vip",
      limit: 100,
      duration: 60_000,
    });
    const overrideId = set.data.overrideId;
    expect(overrideId).toBe(overrideIdOf(namespace, "vip"));
    for (const identifier of ["a", "b"]) {
      await target.unkey.ratelimit.setOverride({ namespace, identifier, limit: 2, duration: 1_000 });
    }

    const limited = await target.unkey.ratelimit.limit({
      namespace,
      identifier: "vip",
      limit: 1,
      duration: 60_000,
    });
    expect(limited.data).toMatchObject({ success: true, limit: 100, remaining: 99, overrideId });

    const got = await target.unkey.ratelimit.getOverride({ namespace, identifier: "vip" });
    expect(got.data).toEqual({ overrideId, identifier: "vip", limit: 100, duration: 60_000 });

    const first = await target.unkey.ratelimit.listOverrides({ namespace, limit: 2 });
    expect(first.result.pagination).toEqual({ hasMore: true, cursor: expect.any(String) });
    // The client stops paging on a missing cursor: the last page must leave it out, or it fetches an empty one.
    const pages: string[][] = [];
    const paginations: unknown[] = [];
    for await (const page of first) {
      pages.push(page.result.data.map((o) => o.identifier));
      paginations.push(page.result.pagination);
    }
    expect(pages).toEqual([["a", "b"], ["vip"]]);
    expect(paginations.at(-1)).toEqual({ hasMore: false });

    expect((await target.unkey.ratelimit.deleteOverride({ namespace, identifier: "vip" })).data).toEqual({});
    await rejection(
      target.unkey.ratelimit.getOverride({ namespace, identifier: "vip" }),
      NotFoundErrorResponse,
    );
    await rejection(
      target.unkey.ratelimit.deleteOverride({ namespace, identifier: "vip" }),
      NotFoundErrorResponse,
    );
    const plain = await target.unkey.ratelimit.limit({
      namespace,
      identifier: "vip",
      limit: 1,
      duration: 60_000,
    });
    expect(plain.data.limit).toBe(1);
    expect(plain.data.overrideId).toBeUndefined();
  });

  it("need ratelimit:write to change and ratelimit:read to read, which ratelimit:limit does not give", async () => {
    const checker = target.clientWith((await mintToken(target.t, ["ratelimit:limit"])).token);
    const key = { namespace: "ovr.perm", identifier: "me" };
    await rejection(
      checker.ratelimit.setOverride({ ...key, limit: 1_000, duration: 1_000 }),
      ForbiddenErrorResponse,
    );
    await rejection(checker.ratelimit.getOverride(key), ForbiddenErrorResponse);
    await rejection(checker.ratelimit.listOverrides({ namespace: key.namespace }), ForbiddenErrorResponse);
    await rejection(checker.ratelimit.deleteOverride(key), ForbiddenErrorResponse);
  });
});

describe("@unkey/ratelimit pointed at Keyward with baseUrl", () => {
  const limiter = (namespace: string, limit: number) =>
    new Ratelimit({
      rootKey: target.t.rootToken,
      baseUrl: target.baseUrl,
      namespace,
      limit,
      duration: "60s",
      timeout: false,
      cache: new Map(),
    });

  it("admits up to the limit, then refuses with reset ahead of the server's clock", async () => {
    const rl = limiter("sdk.basic", 2);
    const identifier = freshIdentifier();
    expect(await rl.limit(identifier)).toMatchObject({ success: true, limit: 2, remaining: 1 });
    expect(await rl.limit(identifier)).toMatchObject({ success: true, remaining: 0 });
    const third = await rl.limit(identifier);
    expect(third).toMatchObject({ success: false, limit: 2, remaining: 0 });
    expect(third.reset).toBeGreaterThan(target.t.clock.now());
    expect(third.reset).toBeLessThanOrEqual(target.t.clock.now() + 60_000);
  });

  it("passes cost and a per-call limit, and reports an override's id", async () => {
    const rl = limiter("sdk.options", 10);
    const identifier = freshIdentifier();
    expect(await rl.limit(identifier, { cost: 4 })).toMatchObject({ success: true, remaining: 6 });
    const other = freshIdentifier();
    expect(await rl.limit(other, { limit: { limit: 3, duration: 1_000 } })).toMatchObject({
      success: true,
      limit: 3,
      remaining: 2,
    });
    await target.unkey.ratelimit.setOverride({
      namespace: "sdk.options",
      identifier: "vip",
      limit: 50,
      duration: 60_000,
    });
    expect(await rl.limit("vip")).toMatchObject({
      success: true,
      limit: 50,
      overrideId: overrideIdOf("sdk.options", "vip"),
    });
  });

  it("throws the client's typed 401 for a root key Keyward does not know", async () => {
    const rl = new Ratelimit({
      rootKey: "kwr_unknown",
      baseUrl: target.baseUrl,
      namespace: "sdk.auth",
      limit: 1,
      duration: 60_000,
      timeout: false,
    });
    // @unkey/ratelimit bundles its own @unkey/api (2.2.0): its classes are not the top-level ones.
    const error = (await rl.limit("u").catch((e: unknown) => e)) as { name?: string; statusCode?: number };
    expect(error.name).toBe("UnauthorizedErrorResponse");
    expect(error.statusCode).toBe(401);
  });
});
