/** The base62 alphabet, in ASCII order so that fixed-width encodings sort like the numbers they encode. */
export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const LOG2_62 = Math.log2(62);

/**
 * Encodes `bytes` as a big-endian unsigned integer in exactly `width` base62 characters, left-padded with "0".
 * Throws a RangeError when `width` is not a non-negative integer or the value needs more than `width` characters.
 */
export function encodeBase62Fixed(bytes: Uint8Array, width: number): string {
  if (!Number.isSafeInteger(width) || width < 0) {
    throw new RangeError(`Expected a non-negative integer width, got ${width}.`);
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const chars = new Array<string>(width);
  for (let i = width - 1; i >= 0; i--) {
    chars[i] = BASE62_ALPHABET.charAt(Number(value % 62n));
    value /= 62n;
  }
  if (value !== 0n) {
    throw new RangeError(`Expected ${bytes.length} bytes to fit in ${width} base62 characters.`);
  }
  return chars.join("");
}

/**
 * The number of base62 characters needed for any `byteLength`-byte value: ceil(byteLength × 8 / log2 62).
 * Throws a RangeError when `byteLength` is not a non-negative integer.
 */
export function base62Width(byteLength: number): number {
  if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
    throw new RangeError(`Expected a non-negative integer byte length, got ${byteLength}.`);
  }
  // Never exactly an integer (62^w is never a power of two); the test checks the rounding against BigInt maths.
  return Math.ceil((byteLength * 8) / LOG2_62);
}

/** True when every character of `s` is in the base62 alphabet (so the empty string is base62). */
export function isBase62(s: string): boolean {
  if (typeof s !== "string") return false;
  // A character loop, not a regex: this runs on untrusted input before anything else looks at it.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}
