import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BASE62_ALPHABET, base62Width, encodeBase62Fixed, isBase62 } from "./base62.js";

// Exact reference: the fewest base62 digits that can hold every value below 2^(8n).
function exactWidth(byteLength: number): number {
  const limit = 1n << BigInt(byteLength * 8);
  let width = 0;
  for (let room = 1n; room < limit; room *= 62n) width++;
  return width;
}

function decodeBase62(s: string): bigint {
  let value = 0n;
  for (const ch of s) value = value * 62n + BigInt(BASE62_ALPHABET.indexOf(ch));
  return value;
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

describe("BASE62_ALPHABET", () => {
  it("is 0-9, A-Z, a-z in strictly increasing ASCII order", () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(BASE62_ALPHABET).toBe("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    for (let i = 1; i < BASE62_ALPHABET.length; i++) {
      expect(BASE62_ALPHABET.charCodeAt(i)).toBeGreaterThan(BASE62_ALPHABET.charCodeAt(i - 1));
    }
  });
});

describe("base62Width()", () => {
  it("gives 22 characters for 16 bytes, 43 for 32 and 86 for 64", () => {
    expect(base62Width(16)).toBe(22);
    expect(base62Width(32)).toBe(43);
    expect(base62Width(64)).toBe(86);
  });

  it("agrees with exact BigInt arithmetic for every length from 0 to 1024 bytes", () => {
    for (let n = 0; n <= 1024; n++) expect(base62Width(n), `${n} bytes`).toBe(exactWidth(n));
  });

  it("throws a RangeError for a negative or fractional length", () => {
    expect(() => base62Width(-1)).toThrow(RangeError);
    expect(() => base62Width(1.5)).toThrow(RangeError);
    expect(() => base62Width(Number.NaN)).toThrow(RangeError);
  });
});

describe("encodeBase62Fixed()", () => {
  it("left-pads with '0' to exactly the width", () => {
    expect(encodeBase62Fixed(new Uint8Array([0]), 4)).toBe("0000");
    expect(encodeBase62Fixed(new Uint8Array([61]), 3)).toBe("00z");
    expect(encodeBase62Fixed(new Uint8Array([62]), 3)).toBe("010");
    expect(encodeBase62Fixed(new Uint8Array(0), 2)).toBe("00");
  });

  it("reads bytes as a big-endian unsigned integer", () => {
    // 0x0100 = 256 = 4 * 62 + 8
    expect(encodeBase62Fixed(new Uint8Array([1, 0]), 2)).toBe("48");
    expect(encodeBase62Fixed(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 6)).toBe("4gfFC3");
  });

  it("encodes the largest value of every size in base62Width() characters", () => {
    for (const n of [1, 4, 16, 32, 64]) {
      const max = new Uint8Array(n).fill(0xff);
      const encoded = encodeBase62Fixed(max, base62Width(n));
      expect(decodeBase62(encoded)).toBe(toBigInt(max));
      expect(() => encodeBase62Fixed(max, base62Width(n) - 1)).toThrow(RangeError);
    }
  });

  it("throws a RangeError when the value does not fit or the width is invalid", () => {
    expect(() => encodeBase62Fixed(new Uint8Array([62]), 1)).toThrow(RangeError);
    expect(() => encodeBase62Fixed(new Uint8Array([1]), 0)).toThrow(RangeError);
    expect(() => encodeBase62Fixed(new Uint8Array([1]), -1)).toThrow(RangeError);
    expect(() => encodeBase62Fixed(new Uint8Array([1]), 2.5)).toThrow(RangeError);
  });

  it("round-trips through a reference decoder and preserves numeric order as string order", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (a, b) => {
          const ea = encodeBase62Fixed(a, 22);
          const eb = encodeBase62Fixed(b, 22);
          expect(ea).toHaveLength(22);
          expect(decodeBase62(ea)).toBe(toBigInt(a));
          expect(Math.sign(ea < eb ? -1 : ea > eb ? 1 : 0)).toBe(
            Math.sign(Number(toBigInt(a) - toBigInt(b))),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("isBase62()", () => {
  it("accepts every alphabet character and the empty string", () => {
    expect(isBase62(BASE62_ALPHABET)).toBe(true);
    expect(isBase62("")).toBe(true);
  });

  it("rejects any string with a character outside the alphabet", () => {
    for (const s of ["_", "-", " ", "abc+", "é", "a\u0000", "Ａ", "😀", "/", ":", "@", "[", "`", "{"]) {
      expect(isBase62(s), JSON.stringify(s)).toBe(false);
    }
  });

  it("agrees with a regex reference on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(isBase62(s)).toBe(/^[0-9A-Za-z]*$/.test(s));
      }),
    );
  });
});
