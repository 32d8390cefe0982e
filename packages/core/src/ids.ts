import { randomBytes as nodeRandomBytes } from "node:crypto";
import { encodeBase62Fixed, isBase62 } from "./base62.js";

/**
 * Every kind of prefixed id Keyward issues: keys, projects, admin tokens, requests, events, webhooks, alerts, audit
 * entries, vault secrets and key roles.
 */
export const ID_KINDS = [
  "key",
  "proj",
  "tok",
  "req",
  "evt",
  "wh",
  "alr",
  "aud",
  "sec",
  "usr",
  "ses",
  "inv",
  "role",
] as const;

/** One kind of prefixed id. */
export type IdKind = (typeof ID_KINDS)[number];

/** Options for {@link newId}: an injectable clock and randomness for tests. */
export interface NewIdOptions {
  /** Creation time in epoch milliseconds; defaults to `Date.now()`. */
  now?: number;
  /** Source of randomness; defaults to `crypto.randomBytes`. */
  randomBytes?: (n: number) => Uint8Array;
}

const ID_BODY_LENGTH = 22;
const TIMESTAMP_BYTES = 6;
const RANDOM_BYTES = 10;
// Six bytes of milliseconds last until the year 10889.
const MAX_TIMESTAMP_MS = 2 ** (TIMESTAMP_BYTES * 8) - 1;

/**
 * A new id `<kind>_<22 base62 chars>`: 6 bytes of big-endian milliseconds then 10 random bytes, so ids of one
 * kind sort lexicographically in creation order (to the millisecond). Throws a RangeError for a bad clock value.
 */
export function newId(kind: IdKind, options: NewIdOptions = {}): string {
  if (!ID_KINDS.includes(kind)) throw new RangeError(`Expected an id kind from ${ID_KINDS.join(", ")}.`);
  const { now = Date.now(), randomBytes = nodeRandomBytes } = options;
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIMESTAMP_MS) {
    throw new RangeError(
      `Expected now to be an integer from 0 to ${MAX_TIMESTAMP_MS} milliseconds, got ${now}.`,
    );
  }
  const random = randomBytes(RANDOM_BYTES);
  if (random.length !== RANDOM_BYTES) {
    throw new RangeError(
      `Expected randomBytes(${RANDOM_BYTES}) to return ${RANDOM_BYTES} bytes, got ${random.length}.`,
    );
  }
  const bytes = new Uint8Array(TIMESTAMP_BYTES + RANDOM_BYTES);
  let ms = now;
  for (let i = TIMESTAMP_BYTES - 1; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes.set(random, TIMESTAMP_BYTES);
  // Fixed width and an ASCII-ordered alphabet make string order equal numeric order, hence time order.
  return `${kind}_${encodeBase62Fixed(bytes, ID_BODY_LENGTH)}`;
}

/** True when `s` looks like an id of `kind`: the kind, "_" and 22 base62 characters. */
export function isId(kind: IdKind, s: string): boolean {
  return (
    typeof s === "string" &&
    s.length === kind.length + 1 + ID_BODY_LENGTH &&
    s.startsWith(kind) &&
    s.charCodeAt(kind.length) === 95 &&
    isBase62(s.slice(kind.length + 1))
  );
}
