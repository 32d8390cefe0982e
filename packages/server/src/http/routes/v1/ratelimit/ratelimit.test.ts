import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../../../test/support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const iso = (ms: number): string => new Date(ms).toISOString();
const WINDOW_MS = 60_000;

/** Moves the clock to the start of the next window, so a test's windows do not depend on where it starts. */
function toNextWindow(): number {
  t.clock.advance(WINDOW_MS - (t.clock.now() % WINDOW_MS));
  return t.clock.now();
}

async function limit(body: Record<string, unknown>) {
  const res = await t.request("POST", "/v1/ratelimit", { limit: 3, windowMs: WINDOW_MS, ...body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const overridesUrl = (namespace: string, identifier?: string): string =>
  `/v1/ratelimit/overrides?namespace=${encodeURIComponent(namespace)}${
    identifier === undefined ? "" : `&identifier=${encodeURIComponent(identifier)}`
  }`;

describe("POST /v1/ratelimit", () => {
  it("admits `limit` requests per window, then answers success: false (HTTP 200) without counting", async () => {
    const start = toNextWindow();
    const resetAt = iso(start + WINDOW_MS);
    for (const remaining of [2, 1, 0]) {
      expect(await limit({ namespace: "login", identifier: "user_1" })).toEqual({
        success: true,
        limit: 3,
        remaining,
        resetAt,
      });
    }
    for (let i = 0; i < 3; i++) {
      expect(await limit({ namespace: "login", identifier: "user_1" })).toEqual({
        success: false,
        limit: 3,
        remaining: 0,
        resetAt,
      });
    }
    // The previous window still counts in full at the edge; two windows on, it counts for nothing.
    t.clock.advance(WINDOW_MS);
    expect((await limit({ namespace: "login", identifier: "user_1" })).success).toBe(false);
    t.clock.advance(WINDOW_MS);
    expect(await limit({ namespace: "login", identifier: "user_1" })).toMatchObject({
      success: true,
      remaining: 2,
    });
  });

  it("spends `cost` units, and cost 0 only reads", async () => {
    toNextWindow();
    const body = { namespace: "tokens", identifier: "org_1", limit: 10 };
    expect(await limit({ ...body, cost: 4 })).toMatchObject({ success: true, remaining: 6 });
    expect(await limit({ ...body, cost: 0 })).toMatchObject({ success: true, remaining: 6 });
    expect(await limit({ ...body, cost: 7 })).toMatchObject({ success: false, remaining: 6 });
    expect(await limit({ ...body, cost: 6 })).toMatchObject({ success: true, remaining: 0 });
  });

  it("counts each identifier of each namespace apart", async () => {
    toNextWindow();
    const one = { namespace: "signup", identifier: "203.0.113.7", limit: 1 };
    expect((await limit(one)).success).toBe(true);
    expect((await limit(one)).success).toBe(false);
    expect((await limit({ ...one, identifier: "203.0.113.8" })).success).toBe(true);
    expect((await limit({ ...one, namespace: "signup.v2" })).success).toBe(true);
  });

  it("never lets a namespace containing ':' share counts with another namespace's identifiers", async () => {
    toNextWindow();
    // Spelled naively as "ns:<namespace>:<windowMs>:<identifier>", these two name the same count.
    const first = { namespace: "a", identifier: "b:100:c", limit: 1, windowMs: 100 };
    const second = { namespace: "a:100:b", identifier: "c", limit: 1, windowMs: 100 };
    expect((await limit(first)).success).toBe(true);
    expect((await limit(second)).success).toBe(true);
    expect((await limit(first)).success).toBe(false);
    expect((await limit(second)).success).toBe(false);
  });

  it("counts any identifier: unicode, slashes, spaces, 256 characters", async () => {
    toNextWindow();
    for (const identifier of ["ключ/../%2F a?b=c&d", "🔑".repeat(256), " ", "x".repeat(256)]) {
      expect((await limit({ namespace: "odd", identifier, limit: 1 })).success, identifier).toBe(true);
      expect((await limit({ namespace: "odd", identifier, limit: 1 })).success, identifier).toBe(false);
    }
  });
});

describe("rate limit overrides", () => {
  it("replace limit and window for one identifier only, until deleted", async () => {
    const start = toNextWindow();
    const put = await t.request("PUT", "/v1/ratelimit/overrides", {
      namespace: "api",
      identifier: "vip",
      limit: 5,
      windowMs: 10_000,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({
      namespace: "api",
      identifier: "vip",
      limit: 5,
      windowMs: 10_000,
      createdAt: iso(start),
    });

    const vip = await limit({ namespace: "api", identifier: "vip", limit: 1 });
    expect(vip).toEqual({
      success: true,
      limit: 5,
      remaining: 4,
      resetAt: iso(start + 10_000),
      overridden: true,
    });
    for (let i = 0; i < 4; i++)
      expect((await limit({ namespace: "api", identifier: "vip", limit: 1 })).success).toBe(true);
    expect(await limit({ namespace: "api", identifier: "vip", limit: 1 })).toMatchObject({
      success: false,
      overridden: true,
    });
    const other = await limit({ namespace: "api", identifier: "regular", limit: 1 });
    expect(other).toEqual({ success: true, limit: 1, remaining: 0, resetAt: iso(start + WINDOW_MS) });
    expect((await limit({ namespace: "api.other", identifier: "vip", limit: 1 })).overridden).toBeUndefined();

    // Setting it again replaces it.
    t.clock.advance(1_000);
    const replaced = await t.request("PUT", "/v1/ratelimit/overrides", {
      namespace: "api",
      identifier: "vip",
      limit: 50,
      windowMs: 1_000,
    });
    expect(replaced.json()).toMatchObject({ limit: 50, windowMs: 1_000 });
    expect(await limit({ namespace: "api", identifier: "vip", limit: 1 })).toMatchObject({
      success: true,
      limit: 50,
      remaining: 49,
      overridden: true,
    });

    const deleted = await t.request("DELETE", overridesUrl("api", "vip"));
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(deleted.body).toBe("");
    const back = await limit({ namespace: "api", identifier: "vip", limit: 100 });
    expect(back).toMatchObject({ success: true, limit: 100 });
    expect(back).not.toHaveProperty("overridden");
  });

  it("are listed per namespace in identifier order, one page at a time", async () => {
    const identifiers = ["b", "a", "c/d", "ключ", "e e", "🔑", "x".repeat(256), "é".repeat(200)];
    for (const identifier of identifiers) {
      const res = await t.request("PUT", "/v1/ratelimit/overrides", {
        namespace: "paged",
        identifier,
        limit: 10,
        windowMs: 1_000,
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    await t.request("PUT", "/v1/ratelimit/overrides", {
      namespace: "paged.other",
      identifier: "z",
      limit: 1,
      windowMs: 100,
    });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `${overridesUrl("paged")}&limit=3${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const res = await t.request("GET", url);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as {
        items: Array<{ namespace: string; identifier: string }>;
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(3);
      for (const item of page.items) {
        expect(item).toMatchObject({ namespace: "paged", limit: 10, windowMs: 1_000 });
        seen.push(item.identifier);
      }
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(pages).toBe(3);
    const byteOrder = [...identifiers].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(seen).toEqual(byteOrder);

    const empty = await t.request("GET", overridesUrl("nothing.here"));
    expect(empty.json()).toEqual({ items: [], nextCursor: null });
  });

  it("delete by an identifier of any characters, sent in the query", async () => {
    const identifier = "a&b=c/../d?e#f ключ";
    await t.request("PUT", "/v1/ratelimit/overrides", {
      namespace: "odd",
      identifier,
      limit: 1,
      windowMs: 100,
    });
    expect((await t.request("GET", overridesUrl("odd"))).json().items).toEqual([
      expect.objectContaining({ identifier }),
    ]);
    expect((await t.request("DELETE", overridesUrl("odd", identifier))).statusCode).toBe(204);
    expect((await t.request("GET", overridesUrl("odd"))).json().items).toEqual([]);
  });
});
