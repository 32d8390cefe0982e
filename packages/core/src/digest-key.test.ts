import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digestKey, digestsEqual, MIN_PEPPER_BYTES } from "./digest-key.js";

const vectors = JSON.parse(readFileSync(new URL("../test-vectors/keys.json", import.meta.url), "utf8")) as {
  pepperHex: string;
  valid: { name: string; key: string; digestHex: string }[];
};

const pepper = new Uint8Array(Buffer.from(vectors.pepperHex, "hex"));

describe("digestKey()", () => {
  it.each(vectors.valid)("reproduces the HMAC-SHA256 digest of '$name'", (v) => {
    expect(digestKey(v.key, pepper).toString("hex")).toBe(v.digestHex);
  });

  it("returns 32 bytes that change with the pepper", () => {
    const key = vectors.valid[0]?.key ?? "";
    const other = new Uint8Array(pepper);
    other[0] = (other[0] ?? 0) ^ 1;
    expect(digestKey(key, pepper)).toHaveLength(32);
    expect(digestKey(key, other).equals(digestKey(key, pepper))).toBe(false);
  });

  it("digests the UTF-8 bytes of the key", () => {
    const utf8 = digestKey("é", pepper);
    expect(utf8.equals(digestKey("\u0065\u0301", pepper))).toBe(false);
    expect(utf8).toHaveLength(32);
  });

  it("throws a RangeError for a pepper shorter than MIN_PEPPER_BYTES", () => {
    expect(MIN_PEPPER_BYTES).toBe(32);
    expect(() => digestKey("kw_x", new Uint8Array(0))).toThrow(RangeError);
    expect(() => digestKey("kw_x", new Uint8Array(31))).toThrow(RangeError);
    expect(() => digestKey("kw_x", new Uint8Array(32))).not.toThrow();
  });
});

describe("digestsEqual()", () => {
  it("is true for equal digests and false when any byte differs", () => {
    const a = digestKey("kw_a", pepper);
    expect(digestsEqual(a, Buffer.from(a))).toBe(true);
    const b = Buffer.from(a);
    b[31] = (b[31] ?? 0) ^ 0x80;
    expect(digestsEqual(a, b)).toBe(false);
  });

  it("returns false instead of throwing when the lengths differ", () => {
    expect(digestsEqual(new Uint8Array(32), new Uint8Array(31))).toBe(false);
    expect(digestsEqual(new Uint8Array(0), new Uint8Array(1))).toBe(false);
  });

  it("agrees with byte-wise equality on arbitrary inputs", () => {
    const bytes = fc.uint8Array({ maxLength: 4 });
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        expect(digestsEqual(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
      }),
    );
  });
});
