import { crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc32()", () => {
  it("matches the IEEE CRC-32 check value for '123456789'", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
  });

  it("returns 0 for no bytes", () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("matches published values for single bytes and a pangram", () => {
    expect(crc32(ascii("a"))).toBe(0xe8b7be43);
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });

  it("always returns an unsigned 32-bit integer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const value = crc32(bytes);
        expect(Number.isInteger(value) && value >= 0 && value <= 0xffffffff).toBe(true);
      }),
    );
  });

  it("agrees with node:zlib's crc32 on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
        expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
