import { describe, expect, it, vi } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { DEFAULT_PAGE_SIZE, decodeCursor, listPage, MAX_PAGE_SIZE } from "./page.js";

const IDS = Array.from({ length: 250 }, (_, i) => `key_${String(i).padStart(4, "0")}`);

/** A fake store list over IDS that honours limit and after, and remembers what it was asked. */
function fakeFetch() {
  return vi.fn(async (query: { limit: number; after?: string }) => {
    const start = query.after === undefined ? 0 : IDS.findIndex((id) => id > (query.after as string));
    return (start === -1 ? [] : IDS.slice(start, start + query.limit)).map((id) => ({ id }));
  });
}

describe("listPage()", () => {
  it("returns a nextCursor that decodes back to the last id of the page", async () => {
    const page = await listPage(10, undefined, fakeFetch());
    expect(page.items.map((i) => i.id)).toEqual(IDS.slice(0, 10));
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor(page.nextCursor as string)).toBe(IDS[9]);
  });

  it("continues after the cursor, so following nextCursor visits every item once", async () => {
    const fetch = fakeFetch();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listPage(100, cursor, fetch);
      seen.push(...page.items.map((i) => i.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(IDS);
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(fetch.mock.calls[1]?.[0]).toEqual({ limit: 101, after: IDS[99] });
  });

  it("asks the store for one more than the page size to learn whether another page exists", async () => {
    const fetch = fakeFetch();
    await listPage(20, undefined, fetch);
    expect(fetch).toHaveBeenCalledWith({ limit: 21 });
  });

  it("returns a null nextCursor on the last page, including a page that is exactly full", async () => {
    const exact = vi.fn(async () => [{ id: "a" }, { id: "b" }]);
    expect(await listPage(2, undefined, exact)).toEqual({
      items: [{ id: "a" }, { id: "b" }],
      nextCursor: null,
    });
    const short = vi.fn(async () => [{ id: "a" }]);
    expect((await listPage(2, undefined, short)).nextCursor).toBeNull();
    const empty = vi.fn(async () => []);
    expect(await listPage(2, undefined, empty)).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    [undefined, DEFAULT_PAGE_SIZE],
    [0, 1],
    [-5, 1],
    [1, 1],
    [MAX_PAGE_SIZE, MAX_PAGE_SIZE],
    [MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE],
    [10_000, MAX_PAGE_SIZE],
  ])("clamps limit %s to a page of %s", async (limit, size) => {
    const fetch = fakeFetch();
    const page = await listPage(limit, undefined, fetch);
    expect(fetch).toHaveBeenCalledWith({ limit: size + 1 });
    expect(page.items).toHaveLength(size);
  });

  it("rejects a garbage cursor with VALIDATION_ERROR before asking the store", async () => {
    const fetch = fakeFetch();
    await expectKeywardError(listPage(10, "!!not a cursor!!", fetch), "VALIDATION_ERROR");
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe("decodeCursor()", () => {
  it("returns undefined when there is no cursor", () => {
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it("round-trips any id a page can end on, including non-ASCII ids", () => {
    for (const id of ["key_0000", "proj_7n42DGM5Tflk9n8mt7Fhc7", "ü-ñ-🔑"]) {
      expect(decodeCursor(Buffer.from(id, "utf8").toString("base64url"))).toBe(id);
    }
  });

  it.each([
    ["an empty string", ""],
    ["characters outside base64url", "a+b/c="],
    ["padding", `${Buffer.from("key_1").toString("base64url")}=`],
    ["spaces", "a2V5 XzE"],
    ["an id longer than 64 characters", Buffer.from("k".repeat(65)).toString("base64url")],
    ["bytes that are not UTF-8", Buffer.from([0xff, 0xfe, 0xfd]).toString("base64url")],
  ])("rejects a cursor made of %s with VALIDATION_ERROR naming /cursor", async (_label, cursor) => {
    const error = await expectKeywardError(() => decodeCursor(cursor), "VALIDATION_ERROR");
    expect(error.errors?.map((e) => e.pointer)).toEqual(["/cursor"]);
  });
});
