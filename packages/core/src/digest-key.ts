import { createHmac, timingSafeEqual } from "node:crypto";

/** Shortest server pepper {@link digestKey} accepts: a full HMAC-SHA256 block of entropy is 32 bytes. */
export const MIN_PEPPER_BYTES = 32;

/**
 * The stored form of a key: HMAC-SHA256 keyed by the server pepper over the key's UTF-8 bytes.
 * Throws a RangeError when the pepper is shorter than {@link MIN_PEPPER_BYTES}, which is a configuration bug.
 */
export function digestKey(key: string, pepper: Uint8Array): Buffer {
  if (pepper.length < MIN_PEPPER_BYTES) {
    throw new RangeError(`Expected a pepper of at least ${MIN_PEPPER_BYTES} bytes, got ${pepper.length}.`);
  }
  return createHmac("sha256", pepper).update(key, "utf8").digest();
}

/** True when two digests are equal, compared in constant time; false (not a throw) when the lengths differ. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Digests have a fixed length, so bailing out early on a length mismatch reveals nothing secret.
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
