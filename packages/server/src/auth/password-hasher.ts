import { randomBytes as nodeRandomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { normalizePassword } from "@keyward/core/password-policy.js";
import { hash as argon2Hash, verify as argon2Verify, parseOptions } from "@node-rs/argon2";

/** The argon2id cost parameters, as the PHC string records them (`m=`, `t=`, `p=` and the output length). */
export interface Argon2Parameters {
  /** Memory per hash in KiB (`m=`). */
  memoryCostKiB: number;
  /** Passes over the memory (`t=`). */
  timeCost: number;
  /** Lanes (`p=`). */
  parallelism: number;
  /** Bytes of the stored hash. */
  outputLengthBytes: number;
}

/**
 * argon2id with m = 64 MiB, t = 3, p = 1: RFC 9106's second recommended option (64 MiB, 3 passes) with one lane,
 * and stronger than the OWASP Password Storage Cheat Sheet's floor (19 MiB, t = 2, p = 1) in both memory and time.
 * Measured with @node-rs/argon2 2.2.1 on this project's 2-core development machine (Node 20, one verify at a time,
 * median of 10): 19 MiB/t=2 11 ms, 46 MiB/t=2 25 ms, 64 MiB/t=2 40 ms, 64 MiB/t=3 57 ms (min 54, max 60) — within
 * the ~100 ms a login may spend. One lane because more lanes buy nothing on 2 cores and argon2 already runs off
 * the event loop, in libuv's pool (4 threads by default), so at most 4 × 64 MiB = 256 MiB are in use at once.
 * Changing these makes {@link PasswordHasher.needsRehash} true for every stored hash: each is upgraded at its
 * user's next successful login.
 */
export const DEFAULT_ARGON2_PARAMETERS: Readonly<Argon2Parameters> = Object.freeze({
  memoryCostKiB: 64 * 1024,
  timeCost: 3,
  parallelism: 1,
  outputLengthBytes: 32,
});

/** Bytes of a new salt: 128 bits, RFC 9106's recommendation. */
export const SALT_BYTES = 16;

// @node-rs/argon2 declares Algorithm and Version as `const enum`s, which isolated-module builds cannot import.
const ARGON2ID = 2; // Algorithm.Argon2id
const VERSION_19 = 1; // Version.V0x13, the current argon2 version (v=19 in the PHC string)

/** Where the randomness of a salt comes from; node:crypto's `randomBytes` unless a test injects its own. */
export type RandomBytes = (size: number) => Uint8Array;

/** Hashes and verifies admin passwords. Passwords are NFKC-normalized first, as the password policy counts them. */
export interface PasswordHasher {
  /** Returns a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for a new password. */
  hash(password: string): Promise<string>;
  /** True when `password` matches `storedHash`; false, never a throw, when the stored hash is malformed. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** True when `storedHash` was made with another algorithm or other parameters than the current ones. */
  needsRehash(storedHash: string): boolean;
  /**
   * Spends as long as a {@link verify} against a current hash and returns false: for a login naming an unknown
   * account, so its timing does not tell whether the account exists.
   */
  verifyAgainstDummy(password: string): Promise<false>;
}

/** Options of {@link Argon2PasswordHasher}. */
export interface Argon2PasswordHasherOptions {
  /** Defaults to {@link DEFAULT_ARGON2_PARAMETERS}; tests pass cheaper ones. */
  parameters?: Argon2Parameters;
  randomBytes?: RandomBytes;
}

/** A {@link PasswordHasher} on argon2id (@node-rs/argon2, the Rust `argon2` crate). */
export class Argon2PasswordHasher implements PasswordHasher {
  readonly parameters: Readonly<Argon2Parameters>;
  readonly #randomBytes: RandomBytes;
  /**
   * A well-formed hash with the current parameters whose output is random bytes: verifying any password against it
   * costs one full argon2id computation and can never succeed, without hashing anything at start-up.
   */
  readonly #dummyHash: string;

  constructor(options: Argon2PasswordHasherOptions = {}) {
    this.parameters = Object.freeze({ ...checkParameters(options.parameters ?? DEFAULT_ARGON2_PARAMETERS) });
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;
    const { memoryCostKiB, timeCost, parallelism, outputLengthBytes } = this.parameters;
    this.#dummyHash =
      `$argon2id$v=19$m=${memoryCostKiB},t=${timeCost},p=${parallelism}` +
      `$${phcBase64(this.#salt())}$${phcBase64(this.#randomBytes(outputLengthBytes))}`;
  }

  async hash(password: string): Promise<string> {
    return argon2Hash(normalizePassword(password), {
      algorithm: ARGON2ID,
      version: VERSION_19,
      memoryCost: this.parameters.memoryCostKiB,
      timeCost: this.parameters.timeCost,
      parallelism: this.parameters.parallelism,
      outputLen: this.parameters.outputLengthBytes,
      salt: this.#salt(),
    });
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      // The library compares the recomputed hash with the stored one in constant time.
      return await argon2Verify(storedHash, normalizePassword(password));
    } catch {
      // A stored hash the library cannot decode (corrupt, truncated, another scheme such as bcrypt) matches nothing.
      return false;
    }
  }

  needsRehash(storedHash: string): boolean {
    let stored: ReturnType<typeof parseOptions>;
    try {
      stored = parseOptions(storedHash);
    } catch {
      return true;
    }
    return (
      stored.algorithm !== ARGON2ID ||
      stored.version !== VERSION_19 ||
      stored.memoryCost !== this.parameters.memoryCostKiB ||
      stored.timeCost !== this.parameters.timeCost ||
      stored.parallelism !== this.parameters.parallelism ||
      stored.outputLen !== this.parameters.outputLengthBytes ||
      stored.saltLen < SALT_BYTES
    );
  }

  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(this.#dummyHash, password);
    return false;
  }

  #salt(): Uint8Array {
    const salt = this.#randomBytes(SALT_BYTES);
    if (salt.byteLength !== SALT_BYTES) {
      throw new KeywardError("INTERNAL_ERROR", "The random source returned the wrong number of bytes.");
    }
    return Uint8Array.from(salt);
  }
}

function checkParameters(parameters: Argon2Parameters): Argon2Parameters {
  const { memoryCostKiB, timeCost, parallelism, outputLengthBytes } = parameters;
  const whole = (value: number, low: number, high: number): boolean =>
    Number.isSafeInteger(value) && value >= low && value <= high;
  // The bounds argon2 itself sets (RFC 9106 §3.1): at least 8 KiB per lane, 1-255 lanes here, 4+ output bytes.
  if (
    !whole(parallelism, 1, 255) ||
    !whole(memoryCostKiB, 8 * parallelism, 2 ** 32 - 1) ||
    !whole(timeCost, 1, 2 ** 32 - 1) ||
    !whole(outputLengthBytes, 4, 1024)
  ) {
    throw new KeywardError(
      "CONFIG_INVALID",
      "argon2 parameters must be whole numbers: parallelism 1-255, memoryCostKiB at least 8 per lane, timeCost at least 1, outputLengthBytes 4-1024.",
    );
  }
  return parameters;
}

/** The PHC string's base64: standard alphabet, no padding. */
function phcBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}
