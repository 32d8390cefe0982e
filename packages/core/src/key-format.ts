import { randomBytes as nodeRandomBytes } from "node:crypto";
import { BASE62_ALPHABET, base62Width, encodeBase62Fixed, isBase62 } from "./base62.js";
import { crc32 } from "./crc32.js";

/** The shape every key prefix must have; checked by {@link isValidKeyPrefix}, shown in docs and error messages. */
export const KEY_PREFIX_PATTERN = "[a-z][a-z0-9_]{0,19}";

/** Prefix of a project's keys when none is chosen; a valid {@link KEY_PREFIX_PATTERN}. */
export const DEFAULT_KEY_PREFIX = "kw";

/** Length of the checksum at the end of every key: CRC-32 as six base62 characters. */
export const CHECKSUM_LENGTH = 6;

/** Fewest random bytes a key may carry (128 bits). */
export const MIN_KEY_BYTES = 16;

/** Most random bytes a key may carry. */
export const MAX_KEY_BYTES = 64;

/** Random bytes in a key when none are asked for (256 bits). */
export const DEFAULT_KEY_BYTES = 32;

/** Longest string {@link parseKey} will look at; every valid key is at most 113 characters. */
export const MAX_KEY_LENGTH = 128;

/**
 * Regex source matching candidate keys of any prefix and size in free text; use it with the `g` flag.
 * A match is only a candidate: confirm it with {@link parseKey} before acting on it.
 */
export const KEY_SCANNER_PATTERN = "\\b[a-z][a-z0-9_]{0,19}_[0-9A-Za-z]{28,92}\\b";

/** The parts of a well-formed key. */
export type ParsedKey = { prefix: string; body: string; checksum: string };

/** Options for {@link generateKey}. */
export interface GenerateKeyOptions {
  /** The project's prefix, matching {@link KEY_PREFIX_PATTERN}. */
  prefix: string;
  /** Random bytes in the body, an integer from 16 to 64; defaults to 32. */
  bytes?: number;
  /** Source of randomness, injectable for tests; defaults to `crypto.randomBytes`. */
  randomBytes?: (n: number) => Uint8Array;
}

/** Options for {@link keyScannerPatternForPrefix}. */
export interface KeyScannerPatternOptions {
  /** Random bytes in the keys to find; defaults to 32. */
  bytes?: number;
}

const MAX_PREFIX_LENGTH = 20;
const UNDERSCORE = 95;

// Every body length a valid key can have, so parseKey rejects a wrong size without decoding anything.
const BODY_LENGTHS: ReadonlySet<number> = new Set(
  Array.from({ length: MAX_KEY_BYTES - MIN_KEY_BYTES + 1 }, (_, i) => base62Width(MIN_KEY_BYTES + i)),
);

const MIN_KEY_LENGTH = 1 + 1 + base62Width(MIN_KEY_BYTES) + CHECKSUM_LENGTH;

const encoder = new TextEncoder();
// Reused for ASCII input (every real key), sparing an allocation per verification; crc32 reads it synchronously.
const asciiScratch = new Uint8Array(MAX_KEY_LENGTH);

/** True when `prefix` matches {@link KEY_PREFIX_PATTERN}; checked by a character loop, never a regex. */
export function isValidKeyPrefix(prefix: string): boolean {
  if (typeof prefix !== "string" || prefix.length === 0 || prefix.length > MAX_PREFIX_LENGTH) return false;
  const first = prefix.charCodeAt(0);
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === UNDERSCORE)) return false;
  }
  return true;
}

/**
 * The six-character checksum of a key: CRC-32 of the UTF-8 bytes of `${prefix}_${body}`, written as
 * `encodeBase62Fixed` of its 4-byte big-endian value with width 6.
 */
export function computeChecksum(prefix: string, body: string): string {
  let crc = crc32(utf8Bytes(`${prefix}_${body}`));
  // Same digits as encodeBase62Fixed on the 4 big-endian bytes (a test holds them equal), without BigInt:
  // this runs on every verification and a CRC-32 is exact in a double.
  let checksum = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    checksum = BASE62_ALPHABET.charAt(crc % 62) + checksum;
    crc = Math.floor(crc / 62);
  }
  return checksum;
}

/**
 * Generates a new key `<prefix>_<body><checksum>` from `bytes` random bytes.
 * Throws a RangeError for a prefix not matching {@link KEY_PREFIX_PATTERN} or a size outside 16–64 bytes.
 */
export function generateKey(options: GenerateKeyOptions): string {
  const { prefix, bytes = DEFAULT_KEY_BYTES, randomBytes = nodeRandomBytes } = options;
  if (!isValidKeyPrefix(prefix)) {
    throw new RangeError(`Expected a key prefix matching ${KEY_PREFIX_PATTERN}.`);
  }
  assertKeyBytes(bytes);
  const random = randomBytes(bytes);
  // A short read would still encode, silently giving a weaker key; refuse it instead.
  if (random.length !== bytes) {
    throw new RangeError(`Expected randomBytes(${bytes}) to return ${bytes} bytes, got ${random.length}.`);
  }
  const body = encodeBase62Fixed(random, base62Width(bytes));
  return `${prefix}_${body}${computeChecksum(prefix, body)}`;
}

/**
 * Splits a well-formed key into prefix, body and checksum, or returns null; it never throws.
 * Reads from the right (prefixes may contain "_", bodies never do) and runs the cheap length and character
 * checks before the checksum, so the cost is linear in the length and bounded by {@link MAX_KEY_LENGTH}.
 */
export function parseKey(candidate: string): ParsedKey | null {
  if (typeof candidate !== "string") return null;
  if (candidate.length < MIN_KEY_LENGTH || candidate.length > MAX_KEY_LENGTH) return null;
  const split = candidate.lastIndexOf("_");
  if (split < 1) return null;
  const tailLength = candidate.length - split - 1;
  if (!BODY_LENGTHS.has(tailLength - CHECKSUM_LENGTH)) return null;
  const prefix = candidate.slice(0, split);
  if (!isValidKeyPrefix(prefix)) return null;
  const tail = candidate.slice(split + 1);
  if (!isBase62(tail)) return null;
  const body = tail.slice(0, -CHECKSUM_LENGTH);
  const checksum = tail.slice(-CHECKSUM_LENGTH);
  // Plain comparison is fine: the checksum is public, derived from the key's own visible characters.
  if (computeChecksum(prefix, body) !== checksum) return null;
  return { prefix, body, checksum };
}

/**
 * Regex source matching keys with exactly this prefix and size (32 bytes unless `options.bytes` says otherwise).
 * Confirm every match with {@link parseKey}. Throws a RangeError for an invalid prefix or size.
 */
export function keyScannerPatternForPrefix(prefix: string, options: KeyScannerPatternOptions = {}): string {
  if (!isValidKeyPrefix(prefix)) {
    throw new RangeError(`Expected a key prefix matching ${KEY_PREFIX_PATTERN}.`);
  }
  const bytes = options.bytes ?? DEFAULT_KEY_BYTES;
  assertKeyBytes(bytes);
  // A valid prefix holds only [a-z0-9_], none of which is special in a regex, so it needs no escaping.
  return `\\b${prefix}_[0-9A-Za-z]{${base62Width(bytes) + CHECKSUM_LENGTH}}\\b`;
}

/**
 * The display form of a key stored as `start`: its prefix, "_" and the first `visibleBodyChars` body characters.
 * Throws a RangeError when `key` is not a valid key or `visibleBodyChars` is not an integer from 0 to 8.
 */
export function keyStart(key: string, visibleBodyChars = 4): string {
  // A cap keeps `start` a hint: 8 characters reveal under 48 of at least 128 random bits.
  if (!Number.isInteger(visibleBodyChars) || visibleBodyChars < 0 || visibleBodyChars > 8) {
    throw new RangeError(`Expected visibleBodyChars to be an integer from 0 to 8, got ${visibleBodyChars}.`);
  }
  const parsed = parseKey(key);
  // The message never echoes the key: it is a secret even when malformed.
  if (parsed === null) throw new RangeError("Expected a well-formed key.");
  return `${parsed.prefix}_${parsed.body.slice(0, visibleBodyChars)}`;
}

function utf8Bytes(text: string): Uint8Array {
  if (text.length > asciiScratch.length) return encoder.encode(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return encoder.encode(text);
    asciiScratch[i] = c;
  }
  return asciiScratch.subarray(0, text.length);
}

function assertKeyBytes(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < MIN_KEY_BYTES || bytes > MAX_KEY_BYTES) {
    throw new RangeError(
      `Expected key bytes to be an integer from ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES}, got ${bytes}.`,
    );
  }
}
