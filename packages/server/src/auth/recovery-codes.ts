import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";

// Crockford's base32 alphabet (lower case for display): no i, l, o or u, so nothing reads as another character;
// on input o becomes 0 and i and l become 1, as Crockford prescribes.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const GROUP_LENGTH = 4;
const MAX_COUNT = 100;
const MAX_INPUT_LENGTH = 64;
// Domain separation: a recovery code digest can never equal the SHA-256 of anything else stored by Keyward.
const DIGEST_PREFIX = "keyward:recovery-code:v1:";
const DIGEST_HEX_LENGTH = 64;

/**
 * Characters of a recovery code: 16 × 5 = 80 random bits. Codes are stored as a plain SHA-256, so their entropy is
 * what stands between a leaked database and a working code: at 50 bits (10 characters) one GPU at ~2×10^10
 * SHA-256/s finds one of a user's ten codes in about an hour and a half; at 80 bits it takes ~200,000 GPU-years.
 */
export const RECOVERY_CODE_LENGTH = 16;
/** Recovery codes issued at enrolment. */
export const DEFAULT_RECOVERY_CODE_COUNT = 10;

/** Where the randomness of a code comes from; node:crypto's `randomBytes` unless a test injects its own. */
export type RandomBytes = (size: number) => Uint8Array;

/** Returns `count` distinct new recovery codes, shown to the user once as `xxxx-xxxx-xxxx-xxxx`. */
export function newRecoveryCodes(
  count: number = DEFAULT_RECOVERY_CODE_COUNT,
  randomBytes: RandomBytes = nodeRandomBytes,
): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      `The number of recovery codes must be from 1 to ${MAX_COUNT}.`,
    );
  }
  const codes = new Set<string>();
  // Distinct by construction: a repeat (only from a broken random source) is drawn again, a bounded number of times.
  for (let draws = 0; codes.size < count; draws++) {
    if (draws >= count * 4) {
      throw new KeywardError("INTERNAL_ERROR", "The random source keeps repeating itself.");
    }
    codes.add(formatRecoveryCode(drawCode(randomBytes)));
  }
  return [...codes];
}

/**
 * The canonical form of a recovery code as typed: case-insensitive, dashes and spaces ignored, o read as 0 and
 * i or l as 1. Returns null when the input cannot be a recovery code (wrong length or characters).
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (input.length > MAX_INPUT_LENGTH) {
    return null;
  }
  let code = "";
  for (const char of input.toLowerCase()) {
    if (char === "-" || char === " ") {
      continue;
    }
    const canonical = char === "o" ? "0" : char === "i" || char === "l" ? "1" : char;
    if (!ALPHABET.includes(canonical)) {
      return null;
    }
    code += canonical;
  }
  return code.length === RECOVERY_CODE_LENGTH ? code : null;
}

/**
 * The digest to store for a recovery code: hex SHA-256 of its canonical form. A fast unsalted hash is right here,
 * unlike for passwords: the codes are uniformly random with 80 bits of entropy, so neither a slow hash nor a salt
 * adds anything against guessing or precomputation, and matching stays cheap enough to try all of a user's codes.
 */
export function hashRecoveryCode(code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) {
    throw new KeywardError("VALIDATION_ERROR", "A recovery code must be 16 characters of Crockford base32.");
  }
  return digestCanonical(canonical);
}

/**
 * The index of the stored digest `input` matches, or -1 (also for malformed input). Every digest is compared in
 * constant time, without stopping at a match. Single use is the caller's part: it removes the matched digest.
 */
export function matchRecoveryCode(input: string, storedHashes: readonly string[]): number {
  const canonical = normalizeRecoveryCode(input);
  if (canonical === null) {
    return -1;
  }
  const digest = Buffer.from(digestCanonical(canonical), "utf8");
  let match = -1;
  for (const [index, stored] of storedHashes.entries()) {
    if (stored.length !== DIGEST_HEX_LENGTH) {
      // Only a corrupt row or a caller passing something else; never a silent non-match that locks a user out.
      throw new KeywardError("INTERNAL_ERROR", "A stored recovery code digest is malformed.");
    }
    if (timingSafeEqual(digest, Buffer.from(stored.toLowerCase(), "utf8")) && match === -1) {
      match = index;
    }
  }
  return match;
}

function drawCode(randomBytes: RandomBytes): string {
  const bytes = randomBytes(RECOVERY_CODE_LENGTH);
  if (bytes.byteLength !== RECOVERY_CODE_LENGTH) {
    throw new KeywardError("INTERNAL_ERROR", "The random source returned the wrong number of bytes.");
  }
  let code = "";
  for (const byte of bytes) {
    // 256 is a multiple of 32, so the low five bits of a uniform byte are uniform: no modulo bias.
    code += ALPHABET[byte & 31];
  }
  return code;
}

function formatRecoveryCode(canonical: string): string {
  const groups: string[] = [];
  for (let start = 0; start < canonical.length; start += GROUP_LENGTH) {
    groups.push(canonical.slice(start, start + GROUP_LENGTH));
  }
  return groups.join("-");
}

function digestCanonical(canonical: string): string {
  return createHash("sha256").update(`${DIGEST_PREFIX}${canonical}`, "utf8").digest("hex");
}
