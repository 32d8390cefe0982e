import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import {
  hashRecoveryCode,
  matchRecoveryCode,
  newRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_LENGTH,
} from "./recovery-codes.js";

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

/** A random source that returns the given 16-byte blocks in turn. */
function scriptedRandom(blocks: number[][]): (size: number) => Uint8Array {
  let next = 0;
  return (size) => {
    const block = blocks[next++ % blocks.length] ?? [];
    expect(size).toBe(block.length);
    return Uint8Array.from(block);
  };
}

function block(first: number): number[] {
  return Array.from({ length: 16 }, (_, index) => (first + index) % 256);
}

describe("newRecoveryCodes()", () => {
  it("returns ten distinct codes of 16 Crockford base32 characters in groups of four", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(FORMAT);
    }
  });

  it("carries at least 50 bits of entropy per code: 16 characters of a 32-letter alphabet", () => {
    expect(RECOVERY_CODE_LENGTH * Math.log2(32)).toBeGreaterThanOrEqual(50);
    // Every letter of the alphabet shows up across enough codes: none is left out of the random mapping.
    const letters = new Set(newRecoveryCodes(100).join("").replaceAll("-", ""));
    expect(letters.size).toBe(32);
  });

  it("maps the low five bits of each random byte to the alphabet, so every byte value is usable", () => {
    expect(newRecoveryCodes(2, scriptedRandom([block(0), block(16)]))).toEqual([
      "0123-4567-89ab-cdef",
      "ghjk-mnpq-rstv-wxyz",
    ]);
    // 224..239 has the same low five bits as 0..15.
    expect(newRecoveryCodes(1, scriptedRandom([block(224)]))).toEqual(["0123-4567-89ab-cdef"]);
  });

  it("draws again when the random source repeats a code, so the codes stay distinct", () => {
    const codes = newRecoveryCodes(3, scriptedRandom([block(0), block(0), block(1), block(2)]));
    expect(codes).toEqual(["0123-4567-89ab-cdef", "1234-5678-9abc-defg", "2345-6789-abcd-efgh"]);
  });

  it("throws instead of looping when the random source only repeats itself", async () => {
    await expectKeywardError(() => newRecoveryCodes(10, scriptedRandom([block(7)])), "INTERNAL_ERROR");
  });

  it("honours the count and refuses an impossible one", async () => {
    expect(newRecoveryCodes(3)).toHaveLength(3);
    await expectKeywardError(() => newRecoveryCodes(0), "VALIDATION_ERROR");
    await expectKeywardError(() => newRecoveryCodes(101), "VALIDATION_ERROR");
    await expectKeywardError(() => newRecoveryCodes(2.5), "VALIDATION_ERROR");
  });
});

describe("normalizeRecoveryCode()", () => {
  it("ignores case, dashes and spaces", () => {
    for (const typed of [
      "0123-4567-89ab-cdef",
      "0123456789ABCDEF",
      " 0123 4567 89ab cdef ",
      "0123-4567 -89AB-cdef",
    ]) {
      expect(normalizeRecoveryCode(typed), typed).toBe("0123456789abcdef");
    }
  });

  it("reads o as 0 and i or l as 1, as Crockford base32 does", () => {
    expect(normalizeRecoveryCode("O1I1-L1o1-ghjk-mnpq")).toBe("01111101ghjkmnpq");
  });

  it("returns null for the wrong length or a character outside the alphabet", () => {
    for (const typed of [
      "",
      "0123-4567-89ab-cde",
      "0123-4567-89ab-cdef-0",
      "0123-4567-89ab-cdeu",
      "0123_4567_89ab_cdef",
      "0123-4567-89ab-cdé",
      "0".repeat(10_000),
    ]) {
      expect(normalizeRecoveryCode(typed), typed).toBeNull();
    }
  });
});

describe("hashRecoveryCode()", () => {
  it("is SHA-256 of the domain-separated canonical code (a known answer: stored digests must never change)", () => {
    expect(hashRecoveryCode("0123-4567-89ab-cdef")).toBe(
      "422eae9adc9b81a88d87e42c8600cb2289810c6f7ee410e229b8b9d23f2d0a30",
    );
  });

  it("gives the same digest for every way of typing a code and different digests for different codes", () => {
    expect(hashRecoveryCode("0123 4567 89AB CDEF")).toBe(hashRecoveryCode("0123-4567-89ab-cdef"));
    expect(hashRecoveryCode("O123-4567-89ab-cdef")).toBe(hashRecoveryCode("0123-4567-89ab-cdef"));
    expect(hashRecoveryCode("0123-4567-89ab-cdeg")).not.toBe(hashRecoveryCode("0123-4567-89ab-cdef"));
  });

  it("throws VALIDATION_ERROR for something that is not a recovery code, never naming it", async () => {
    const error = await expectKeywardError(() => hashRecoveryCode("not-a-code"), "VALIDATION_ERROR");
    expect(error.message).not.toContain("not-a-code");
  });
});

describe("matchRecoveryCode()", () => {
  const codes = newRecoveryCodes();
  const stored = codes.map(hashRecoveryCode);

  it("returns the index of the matching digest, however the code is typed", () => {
    for (const [index, code] of codes.entries()) {
      expect(matchRecoveryCode(code, stored)).toBe(index);
      expect(matchRecoveryCode(code.toUpperCase().replaceAll("-", ""), stored)).toBe(index);
      expect(matchRecoveryCode(` ${code.replaceAll("-", " ")} `, stored)).toBe(index);
    }
  });

  it("matches digests stored in upper-case hex too", () => {
    expect(
      matchRecoveryCode(
        codes[3] ?? "",
        stored.map((digest) => digest.toUpperCase()),
      ),
    ).toBe(3);
  });

  it("returns -1 for a wrong, malformed or empty code and for an empty list", () => {
    const [other] = newRecoveryCodes(1);
    expect(codes).not.toContain(other);
    expect(matchRecoveryCode(other ?? "", stored)).toBe(-1);
    expect(matchRecoveryCode("not-a-code", stored)).toBe(-1);
    expect(matchRecoveryCode("", stored)).toBe(-1);
    expect(matchRecoveryCode(codes[0] ?? "", [])).toBe(-1);
  });

  it("leaves single use to the caller: once the matched digest is removed, the code no longer matches", () => {
    const code = codes[5] ?? "";
    const index = matchRecoveryCode(code, stored);
    expect(index).toBe(5);
    const remaining = stored.filter((_, position) => position !== index);
    expect(matchRecoveryCode(code, remaining)).toBe(-1);
    expect(matchRecoveryCode(codes[6] ?? "", remaining)).toBe(5);
  });

  it("returns the first index when the same digest is stored twice", () => {
    expect(matchRecoveryCode(codes[2] ?? "", [stored[0] ?? "", stored[2] ?? "", stored[2] ?? ""])).toBe(1);
  });

  it("throws INTERNAL_ERROR for a stored digest that is not a SHA-256 hex digest", async () => {
    await expectKeywardError(() => matchRecoveryCode(codes[0] ?? "", [...stored, "abc"]), "INTERNAL_ERROR");
  });
});
