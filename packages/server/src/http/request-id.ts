import { randomBytes } from "node:crypto";
import { encodeBase62Fixed } from "@keyward/core/base62.js";

/**
 * Returns a generator of request ids `req_<11 base62 chars of process randomness><11 base36 chars of counter>`:
 * unique across processes (64 random bits per process) without a CSPRNG call or BigInt arithmetic per request,
 * which cost ~40 µs of the verify hot path. Request ids are identifiers, not secrets.
 */
export function createRequestIdGenerator(random: (size: number) => Uint8Array = randomBytes): () => string {
  const prefix = `req_${encodeBase62Fixed(random(8), 11)}`;
  let counter = 0;
  return () => {
    counter += 1;
    return prefix + counter.toString(36).padStart(11, "0");
  };
}
