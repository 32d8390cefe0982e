import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ID_KINDS, type IdKind, isId, newId } from "./ids.js";

const zeros = (n: number): Uint8Array => new Uint8Array(n);
const kind = fc.constantFrom(...ID_KINDS);
const MAX_MS = 2 ** 48 - 1;

describe("newId()", () => {
  it("makes <kind>_ followed by 22 base62 characters", () => {
    for (const k of ID_KINDS) {
      const id = newId(k);
      expect(id).toMatch(new RegExp(`^${k}_[0-9A-Za-z]{22}$`));
      expect(isId(k, id)).toBe(true);
    }
  });

  it("encodes 6 bytes of milliseconds then 10 random bytes, big-endian", () => {
    expect(newId("key", { now: 0, randomBytes: zeros })).toBe(`key_${"0".repeat(22)}`);
    // Expected strings computed independently in Python: 1 ms is 2^80, all-ones random bytes 2^80 - 1.
    const ones = (n: number): Uint8Array => new Uint8Array(n).fill(0xff);
    expect(newId("req", { now: 1, randomBytes: zeros })).toBe("req_0000000062iEp5bu9VZbsW");
    expect(newId("tok", { now: 0, randomBytes: ones })).toBe("tok_0000000062iEp5bu9VZbsV");
    expect(newId("key", { now: MAX_MS, randomBytes: ones })).toBe("key_7n42DGM5Tflk9n8mt7Fhc7");
  });

  it("asks the injected source for exactly 10 bytes", () => {
    let asked = -1;
    newId("proj", {
      randomBytes: (n) => {
        asked = n;
        return zeros(n);
      },
    });
    expect(asked).toBe(10);
  });

  it("sorts ids of one kind in creation order, to the millisecond", () => {
    fc.assert(
      fc.property(
        kind,
        fc.uniqueArray(fc.integer({ min: 0, max: MAX_MS }), { minLength: 2, maxLength: 20 }),
        fc.array(fc.uint8Array({ minLength: 10, maxLength: 10 }), { minLength: 20, maxLength: 20 }),
        (k, times, randoms) => {
          const sortedTimes = [...times].sort((a, b) => a - b);
          const ids = sortedTimes.map((now, i) =>
            newId(k, { now, randomBytes: () => randoms[i] ?? zeros(10) }),
          );
          expect([...ids].sort()).toEqual(ids);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("orders ids a millisecond apart even when the later one has the smallest random part", () => {
    const earlier = newId("key", {
      now: 1_700_000_000_000,
      randomBytes: (n) => new Uint8Array(n).fill(0xff),
    });
    const later = newId("key", { now: 1_700_000_000_001, randomBytes: zeros });
    expect(earlier < later).toBe(true);
  });

  it("throws a RangeError for a clock value outside 0..2^48-1 or not an integer", () => {
    for (const now of [-1, MAX_MS + 1, 1.5, Number.NaN]) {
      expect(() => newId("key", { now }), String(now)).toThrow(RangeError);
    }
    expect(() => newId("key", { now: MAX_MS, randomBytes: zeros })).not.toThrow();
  });

  it("throws a RangeError for an unknown kind or a short random read", () => {
    expect(() => newId("user" as IdKind)).toThrow(RangeError);
    expect(() => newId("key", { randomBytes: (n) => zeros(n - 1) })).toThrow(RangeError);
  });
});

describe("isId()", () => {
  const id = newId("proj", { now: 1_700_000_000_000, randomBytes: zeros });

  it("accepts an id of the same kind only", () => {
    expect(isId("proj", id)).toBe(true);
    expect(isId("key", id)).toBe(false);
    expect(isId("key", id.replace("proj", "key"))).toBe(true);
  });

  it("rejects wrong lengths, separators, characters and non-strings", () => {
    for (const s of [
      "",
      "proj_",
      id.slice(0, -1),
      `${id}0`,
      id.replace("_", "-"),
      `${id.slice(0, -1)}_`,
      `${id.slice(0, -1)}é`,
      `PROJ${id.slice(4)}`,
    ]) {
      expect(isId("proj", s), s).toBe(false);
    }
    expect(isId("proj", 42 as unknown as string)).toBe(false);
  });

  it("accepts every id newId() makes", () => {
    fc.assert(
      fc.property(kind, fc.integer({ min: 0, max: MAX_MS }), (k, now) => {
        expect(isId(k, newId(k, { now }))).toBe(true);
      }),
    );
  });
});
