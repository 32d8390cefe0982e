import { randomBytes as nodeRandomBytes } from "node:crypto";
import { invalidField } from "@keyward/core/keyward-error.js";

/** The prefix Standard Webhooks gives every signing secret. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

const GENERATED_KEY_BYTES = 32;
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
// Base64 of MAX_KEY_BYTES, padded: anything longer is refused before it is decoded.
const MAX_ENCODED_LENGTH = Math.ceil(MAX_KEY_BYTES / 3) * 4;
const INVALID_SECRET = "must be whsec_ followed by the base64 of 24 to 64 bytes";

/** Generates a signing secret `whsec_<base64 of 32 random bytes>`. */
export function generateWebhookSecret(randomBytes: (n: number) => Buffer = nodeRandomBytes): string {
  const key = randomBytes(GENERATED_KEY_BYTES);
  // A short read would still encode, silently giving a weaker secret; refuse it instead.
  if (key.length !== GENERATED_KEY_BYTES) {
    throw new RangeError(
      `Expected randomBytes(${GENERATED_KEY_BYTES}) to return ${GENERATED_KEY_BYTES} bytes, got ${key.length}.`,
    );
  }
  return `${WEBHOOK_SECRET_PREFIX}${key.toString("base64")}`;
}

/** Returns the HMAC key inside a `whsec_` secret; throws VALIDATION_ERROR on `/secret` (never echoing it) otherwise. */
export function parseWebhookSecret(secret: string): Buffer {
  if (typeof secret !== "string" || !secret.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw invalidField("/secret", INVALID_SECRET);
  }
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (encoded.length > MAX_ENCODED_LENGTH) throw invalidField("/secret", INVALID_SECRET);
  const key = Buffer.from(encoded, "base64");
  // Buffer.from skips junk, accepts base64url and missing padding; only a round trip proves the text was canonical.
  if (key.toString("base64") !== encoded || key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw invalidField("/secret", INVALID_SECRET);
  }
  return key;
}
