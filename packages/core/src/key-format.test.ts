import { readFileSync } from "node:fs";
import { crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { BASE62_ALPHABET, encodeBase62Fixed } from "./base62.js";
import { crc32 } from "./crc32.js";
import {
  CHECKSUM_LENGTH,
  computeChecksum,
  DEFAULT_KEY_BYTES,
  DEFAULT_KEY_PREFIX,
  generateKey,
  isValidKeyPrefix,
  KEY_PREFIX_PATTERN,
  KEY_SCANNER_PATTERN,
  keyScannerPatternForPrefix,
  keyStart,
  MAX_KEY_BYTES,
  MAX_KEY_LENGTH,
  MIN_KEY_BYTES,
  parseKey,
} from "./key-format.js";

// A pass-through spy, so tests can prove which inputs are rejected before any checksum is computed.
vi.mock("./crc32.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./crc32.js")>();
  return { crc32: vi.fn(actual.crc32) };
});

interface ValidVector {
  name: string;
  prefix: string;
  bytes: number;
  randomHex: string;
  key: string;
  checksum: string;
  start: string;
  digestHex: string;
}

interface KeyVectors {
  pepperHex: string;
  valid: ValidVector[];
  invalid: { name: string; candidate: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../test-vectors/keys.json", import.meta.url), "utf8"),
) as KeyVectors;

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

const fixedRandom = (bytes: Uint8Array) => (n: number) => {
  expect(n).toBe(bytes.length);
  return bytes;
};

const validPrefix = fc.stringMatching(/^[a-z][a-z0-9_]{0,19}$/);
const keySize = fc.integer({ min: MIN_KEY_BYTES, max: MAX_KEY_BYTES });
const validKey = fc
  .record({ prefix: validPrefix, bytes: keySize, seed: fc.uint8Array({ minLength: 64, maxLength: 64 }) })
  .map(({ prefix, bytes, seed }) => generateKey({ prefix, bytes, randomBytes: (n) => seed.subarray(0, n) }));

describe("known-answer vectors", () => {
  it("cover the sizes and prefixes the format promises", () => {
    const sizes = new Set(vectors.valid.map((v) => v.bytes));
    for (const size of [16, 32, 64]) expect(sizes.has(size), `${size} bytes`).toBe(true);
    expect(vectors.valid.some((v) => v.prefix.includes("_"))).toBe(true);
    expect(vectors.valid.some((v) => /^(00)+$/.test(v.randomHex))).toBe(true);
    expect(vectors.valid.length).toBeGreaterThanOrEqual(6);
  });

  it.each(vectors.valid)("generateKey() reproduces '$name'", (v) => {
    expect(
      generateKey({ prefix: v.prefix, bytes: v.bytes, randomBytes: fixedRandom(fromHex(v.randomHex)) }),
    ).toBe(v.key);
  });

  it.each(vectors.valid)("parseKey(), computeChecksum() and keyStart() agree with '$name'", (v) => {
    const parsed = parseKey(v.key);
    expect(parsed).toEqual({
      prefix: v.prefix,
      body: v.key.slice(v.prefix.length + 1, -CHECKSUM_LENGTH),
      checksum: v.checksum,
    });
    expect(computeChecksum(v.prefix, parsed?.body ?? "")).toBe(v.checksum);
    expect(keyStart(v.key)).toBe(v.start);
  });

  it.each(vectors.invalid)("parseKey() rejects '$name'", ({ candidate }) => {
    expect(parseKey(candidate)).toBeNull();
  });

  it("are copied into docs/key-format.md unchanged", () => {
    const docs = readFileSync(new URL("../../../docs/key-format.md", import.meta.url), "utf8");
    // Compare cells, not raw lines: the formatter pads markdown tables.
    const rows = docs
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .map((line) =>
        line
          .split("|")
          .slice(1, -1)
          .map((cell) => cell.trim().replaceAll("`", ""))
          .join(" | "),
      );
    expect(docs).toContain(vectors.pepperHex);
    for (const v of vectors.valid) {
      const cells = [v.name, v.prefix, v.bytes, v.randomHex, v.key, v.checksum, v.start, v.digestHex];
      expect(rows, v.name).toContain(cells.join(" | "));
    }
  });
});

describe("constants", () => {
  it("describe 16–64 byte keys, 32 by default, with a 6-character checksum", () => {
    expect([MIN_KEY_BYTES, DEFAULT_KEY_BYTES, MAX_KEY_BYTES, CHECKSUM_LENGTH]).toEqual([16, 32, 64, 6]);
    expect(KEY_PREFIX_PATTERN).toBe("[a-z][a-z0-9_]{0,19}");
    expect(DEFAULT_KEY_PREFIX).toBe("kw");
    expect(isValidKeyPrefix(DEFAULT_KEY_PREFIX)).toBe(true);
  });

  it("MAX_KEY_LENGTH leaves room for the longest valid key", () => {
    const longest = generateKey({ prefix: "a".repeat(20), bytes: MAX_KEY_BYTES });
    expect(longest).toHaveLength(113);
    expect(longest.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
  });
});

describe("computeChecksum()", () => {
  it("equals encodeBase62Fixed of the big-endian CRC-32 of prefix_body, width 6, for any text", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        (prefix, body) => {
          const crc = new Uint8Array(4);
          new DataView(crc.buffer).setUint32(0, zlibCrc32(`${prefix}_${body}`), false);
          expect(computeChecksum(prefix, body)).toBe(encodeBase62Fixed(crc, CHECKSUM_LENGTH));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("isValidKeyPrefix()", () => {
  it("accepts lowercase prefixes of 1–20 characters that start with a letter", () => {
    for (const p of ["k", "kw", "acme_live", "a1", "kw_", "a123456789_bcdefghij"]) {
      expect(isValidKeyPrefix(p), p).toBe(true);
    }
  });

  it("rejects empty, too long, uppercase, leading digit or underscore, and foreign characters", () => {
    for (const p of [
      "",
      "a".repeat(21),
      "Kw",
      "KW",
      "1kw",
      "_kw",
      "k-w",
      "k w",
      "kw.",
      "kя",
      "ｋw",
      "k\u0000",
    ]) {
      expect(isValidKeyPrefix(p), JSON.stringify(p)).toBe(false);
    }
    expect(isValidKeyPrefix(42 as unknown as string)).toBe(false);
  });

  it("agrees with the documented pattern on arbitrary strings", () => {
    const reference = new RegExp(`^${KEY_PREFIX_PATTERN}$`);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 24 }), validPrefix), (s) => {
        expect(isValidKeyPrefix(s)).toBe(reference.test(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("generateKey()", () => {
  it("makes <prefix>_<43 body chars><6 checksum chars> by default, from crypto randomness", () => {
    const a = generateKey({ prefix: "kw" });
    const b = generateKey({ prefix: "kw" });
    expect(a).toMatch(/^kw_[0-9A-Za-z]{49}$/);
    expect(a).not.toBe(b);
    expect(parseKey(a)?.body).toHaveLength(43);
  });

  it("asks the injected source for exactly `bytes` bytes", () => {
    const randomBytes = vi.fn((n: number) => new Uint8Array(n));
    generateKey({ prefix: "kw", bytes: 20, randomBytes });
    expect(randomBytes).toHaveBeenCalledExactlyOnceWith(20);
  });

  it("throws a RangeError for an invalid prefix", () => {
    for (const prefix of ["", "KW", "1kw", "a".repeat(21), "k-w"]) {
      expect(() => generateKey({ prefix }), prefix).toThrow(RangeError);
    }
  });

  it("throws a RangeError for a size outside 16–64 bytes or not an integer", () => {
    for (const bytes of [15, 65, 0, -32, 32.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => generateKey({ prefix: "kw", bytes }), String(bytes)).toThrow(RangeError);
    }
  });

  it("throws a RangeError when the randomness source returns the wrong number of bytes", () => {
    expect(() => generateKey({ prefix: "kw", randomBytes: (n) => new Uint8Array(n - 1) })).toThrow(
      RangeError,
    );
  });

  it("round-trips through parseKey() for every valid prefix and size", () => {
    fc.assert(
      fc.property(
        validPrefix,
        keySize,
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (prefix, bytes, seed) => {
          const key = generateKey({ prefix, bytes, randomBytes: (n) => seed.subarray(0, n) });
          const parsed = parseKey(key);
          expect(parsed).not.toBeNull();
          expect(parsed?.prefix).toBe(prefix);
          expect(`${parsed?.prefix}_${parsed?.body}${parsed?.checksum}`).toBe(key);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("parseKey()", () => {
  const key = vectors.valid.find((v) => v.prefix === "acme_live")?.key ?? "";

  it("splits at the last underscore, so prefixes may contain underscores", () => {
    expect(parseKey(key)?.prefix).toBe("acme_live");
  });

  it("returns null for non-strings instead of throwing", () => {
    for (const value of [undefined, null, 42, {}, [], Symbol("k"), 10n]) {
      expect(parseKey(value as unknown as string)).toBeNull();
    }
  });

  it("returns null for anything longer than MAX_KEY_LENGTH", () => {
    expect(parseKey(`${key}${"a".repeat(MAX_KEY_LENGTH)}`)).toBeNull();
    expect(parseKey("x".repeat(1_000_000))).toBeNull();
  });

  it("rejects wrong lengths, prefixes and characters without computing a checksum", () => {
    vi.mocked(crc32).mockClear();
    const cheap = [
      "",
      "kw_abc",
      "x".repeat(200),
      // Bodies of 21 and 87 characters fall outside 16–64 bytes; 24 lies in a gap between sizes.
      `kw_${"a".repeat(21 + CHECKSUM_LENGTH)}`,
      `kw_${"a".repeat(87 + CHECKSUM_LENGTH)}`,
      `kw_${"a".repeat(24 + CHECKSUM_LENGTH)}`,
      key.replace("acme_live", "Acme_live"),
      `${key.slice(0, -2)}-${key.slice(-1)}`,
      key.replaceAll("_", ""),
    ];
    for (const candidate of cheap) expect(parseKey(candidate)).toBeNull();
    expect(crc32).not.toHaveBeenCalled();
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" })),
        (s) => {
          expect(parseKey(s)).toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never throws on strings shaped like keys", () => {
    const shaped = fc
      .tuple(
        fc.string({ maxLength: 22 }),
        fc.string({ unit: fc.constantFrom(...BASE62_ALPHABET, "_"), maxLength: 100 }),
      )
      .map(([prefix, tail]) => `${prefix}_${tail}`);
    fc.assert(
      fc.property(shaped, (s) => {
        expect(() => parseKey(s)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects every single base62 substitution in the body or checksum of a random valid key", () => {
    fc.assert(
      fc.property(validKey, fc.nat(), fc.constantFrom(...BASE62_ALPHABET), (valid, at, replacement) => {
        const tailStart = valid.lastIndexOf("_") + 1;
        const i = tailStart + (at % (valid.length - tailStart));
        fc.pre(valid[i] !== replacement);
        expect(parseKey(`${valid.slice(0, i)}${replacement}${valid.slice(i + 1)}`)).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });

  it("rejects any single-character substitution anywhere in a random valid key", () => {
    const anyChar = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });
    fc.assert(
      fc.property(validKey, fc.nat(), anyChar, (valid, at, replacement) => {
        const i = at % valid.length;
        fc.pre(valid[i] !== replacement);
        expect(parseKey(`${valid.slice(0, i)}${replacement}${valid.slice(i + 1)}`)).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });

  it.each(vectors.valid)("rejects all 61 substitutions at every position of the tail of '$name'", (v) => {
    const tailStart = v.prefix.length + 1;
    for (let i = tailStart; i < v.key.length; i++) {
      for (const c of BASE62_ALPHABET) {
        if (c === v.key[i]) continue;
        expect(parseKey(`${v.key.slice(0, i)}${c}${v.key.slice(i + 1)}`)).toBeNull();
      }
    }
  });
});

describe("KEY_SCANNER_PATTERN", () => {
  const scan = (text: string): string[] =>
    Array.from(text.matchAll(new RegExp(KEY_SCANNER_PATTERN, "g")), (m) => m[0]);

  it("finds every known-answer key in surrounding text", () => {
    for (const v of vectors.valid) {
      expect(scan(`export TOKEN=${v.key}\n`), v.name).toEqual([v.key]);
      expect(scan(`{"key":"${v.key}"}`), v.name).toEqual([v.key]);
    }
  });

  it("finds candidates that parseKey() then confirms or discards", () => {
    const real = vectors.valid.map((v) => v.key);
    const fake = `kw_${"a".repeat(43)}abcdef`;
    const text = `a=${real[0]} b=${fake} c=${real[1]}; d=${real[2]}`;
    const candidates = scan(text);
    expect(candidates).toEqual([real[0], fake, real[1], real[2]]);
    expect(candidates.filter((c) => parseKey(c) !== null)).toEqual(real.slice(0, 3));
  });

  it("does not match inside a longer run of base62 characters", () => {
    expect(scan(`kw_${"a".repeat(93)}`)).toEqual([]);
  });

  it("matches every generated key in full", () => {
    fc.assert(
      fc.property(validKey, (valid) => {
        expect(scan(` ${valid} `)).toEqual([valid]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("keyScannerPatternForPrefix()", () => {
  it("gives a tight pattern for one prefix and the default 32-byte size", () => {
    expect(keyScannerPatternForPrefix("kw")).toBe("\\bkw_[0-9A-Za-z]{49}\\b");
    expect(keyScannerPatternForPrefix("acme_live", { bytes: 16 })).toBe("\\bacme_live_[0-9A-Za-z]{28}\\b");
  });

  it("matches only keys with that prefix and size", () => {
    const kw = new RegExp(keyScannerPatternForPrefix("kw"), "g");
    const text = vectors.valid.map((v) => v.key).join(" ");
    const expected = vectors.valid.filter((v) => v.prefix === "kw" && v.bytes === 32).map((v) => v.key);
    expect(Array.from(text.matchAll(kw), (m) => m[0])).toEqual(expected);
  });

  it("throws a RangeError for an invalid prefix or size", () => {
    expect(() => keyScannerPatternForPrefix("KW")).toThrow(RangeError);
    expect(() => keyScannerPatternForPrefix("k.w")).toThrow(RangeError);
    expect(() => keyScannerPatternForPrefix("kw", { bytes: 8 })).toThrow(RangeError);
  });
});

describe("keyStart()", () => {
  const v = vectors.valid.find((x) => x.prefix === "acme_live") as ValidVector;

  it("shows the prefix and the first four body characters by default", () => {
    expect(keyStart(v.key)).toBe(v.key.slice(0, "acme_live_".length + 4));
  });

  it("shows as many body characters as asked, from 0 to 8", () => {
    expect(keyStart(v.key, 0)).toBe("acme_live_");
    expect(keyStart(v.key, 8)).toBe(v.key.slice(0, "acme_live_".length + 8));
  });

  it("throws a RangeError that does not echo the key for a malformed key", () => {
    const broken = `${v.key.slice(0, -1)}!`;
    const error = (() => {
      try {
        keyStart(broken);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).not.toContain(v.key.slice(10, 20));
  });

  it("throws a RangeError for a count outside 0–8 or not an integer", () => {
    for (const n of [-1, 9, 43, 1.5, Number.NaN])
      expect(() => keyStart(v.key, n), String(n)).toThrow(RangeError);
  });
});
