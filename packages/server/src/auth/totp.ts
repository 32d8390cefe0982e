import { randomBytes as nodeRandomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { verifyHOTP } from "@oslojs/otp";

// RFC 6238 with the parameters every authenticator app assumes (many ignore the URI's algorithm/digits/period):
// HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch.
/** Seconds per TOTP time step. */
export const TOTP_PERIOD_SECONDS = 30;
/** Digits of a TOTP code. */
export const TOTP_DIGITS = 6;
/** Bytes of a new TOTP secret: 160 bits, the length RFC 4226 §4 (R6) recommends. */
export const TOTP_SECRET_BYTES = 20;
/** Steps either side of the current one {@link verifyTotp} accepts by default, for clock drift (RFC 6238 §5.2). */
export const DEFAULT_TOTP_WINDOW = 1;

// RFC 4226 R6: shared secrets of at least 128 bits. A shorter stored secret is a bug, not a user error.
const MIN_SECRET_BYTES = 16;
const MAX_SECRET_BYTES = 64;
const MAX_WINDOW = 10;
// Untrusted input is measured before it is scanned; a real code with spaces is far shorter.
const MAX_CODE_INPUT_LENGTH = 32;

/** Where the randomness of a secret comes from; node:crypto's `randomBytes` unless a test injects its own. */
export type RandomBytes = (size: number) => Uint8Array;

/** Returns a new random TOTP secret of {@link TOTP_SECRET_BYTES} bytes. */
export function newTotpSecret(randomBytes: RandomBytes = nodeRandomBytes): Uint8Array {
  const secret = randomBytes(TOTP_SECRET_BYTES);
  if (secret.byteLength !== TOTP_SECRET_BYTES) {
    throw new KeywardError("INTERNAL_ERROR", `The random source returned the wrong number of bytes.`);
  }
  return Uint8Array.from(secret);
}

/** Input of {@link otpauthUri}. */
export interface OtpauthUriOptions {
  secret: Uint8Array;
  /** Shown by the authenticator app as the account, usually the user's email. */
  accountName: string;
  /** Shown by the authenticator app as the service; "Keyward" unless an instance names itself. */
  issuer?: string;
}

/**
 * The `otpauth://totp/...` URI an authenticator app reads from a QR code (Google Authenticator's Key URI Format):
 * label `issuer:account`, each part percent-encoded (RFC 3986, so a space is `%20`, never `+`), then the secret in
 * unpadded base32, the issuer again (apps prefer the parameter to the label prefix), and the RFC 6238 parameters.
 */
export function otpauthUri(options: OtpauthUriOptions): string {
  const issuer = options.issuer ?? "Keyward";
  assertLabelPart(issuer, "issuer");
  assertLabelPart(options.accountName, "accountName");
  assertSecret(options.secret);
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(options.accountName)}`;
  const query = [
    `secret=${encodeBase32UpperCaseNoPadding(options.secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join("&");
  return `otpauth://totp/${label}?${query}`;
}

/** Input of {@link verifyTotp}. */
export interface VerifyTotpOptions {
  secret: Uint8Array;
  /** What the user typed: six ASCII digits, optionally with spaces ("123 456"). */
  code: string;
  /** The current time, injected so tests and callers control the clock. */
  nowMs: number;
  /** The step of the last code this secret accepted, or null when none was accepted yet. */
  lastUsedStep: number | null;
  /** Steps accepted either side of the current one; {@link DEFAULT_TOTP_WINDOW} unless given. */
  window?: number;
}

/** The outcome of {@link verifyTotp}; on success the caller stores `step` as the new `lastUsedStep`. */
export type TotpVerification =
  | { ok: true; step: number }
  | { ok: false; reason: "invalid" | "replayed" | "malformed" };

/** The RFC 6238 time step (counter) at `nowMs`. */
export function totpStepAt(nowMs: number): number {
  return Math.floor(nowMs / (TOTP_PERIOD_SECONDS * 1000));
}

/**
 * Checks a TOTP code against the current step and `window` steps either side. A code whose step is at or before
 * `lastUsedStep` is refused as "replayed" (RFC 6238 §5.2: a code is accepted once), so the caller must persist the
 * returned step atomically with accepting the login. Comparison is constant-time, and every step of the window is
 * computed whether or not an earlier one matched.
 */
export function verifyTotp(options: VerifyTotpOptions): TotpVerification {
  assertSecret(options.secret);
  const window = options.window ?? DEFAULT_TOTP_WINDOW;
  if (!Number.isSafeInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      `The TOTP window must be a whole number from 0 to ${MAX_WINDOW}.`,
    );
  }
  if (!Number.isFinite(options.nowMs) || options.nowMs < 0) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      "The current time must be a non-negative number of milliseconds.",
    );
  }
  const lastUsedStep = options.lastUsedStep;
  if (lastUsedStep !== null && !Number.isSafeInteger(lastUsedStep)) {
    throw new KeywardError("VALIDATION_ERROR", "The last used TOTP step must be a whole number or null.");
  }

  const code = normalizeTotpCode(options.code);
  if (code === null) {
    return { ok: false, reason: "malformed" };
  }

  const currentStep = totpStepAt(options.nowMs);
  let freshStep: number | null = null;
  let matchedUsedStep = false;
  for (let step = currentStep - window; step <= currentStep + window; step++) {
    if (step < 0) {
      continue;
    }
    // verifyHOTP compares in constant time. When two steps share a code (one chance in a million), the later
    // unused step wins, so lastUsedStep moves as far forward as this code allows.
    if (verifyHOTP(options.secret, BigInt(step), TOTP_DIGITS, code)) {
      if (lastUsedStep !== null && step <= lastUsedStep) {
        matchedUsedStep = true;
      } else {
        freshStep = step;
      }
    }
  }
  if (freshStep !== null) {
    return { ok: true, step: freshStep };
  }
  return { ok: false, reason: matchedUsedStep ? "replayed" : "invalid" };
}

/** Trims, drops the spaces people type or paste ("123 456"), and returns the code, or null unless 6 ASCII digits. */
function normalizeTotpCode(input: string): string | null {
  if (input.length > MAX_CODE_INPUT_LENGTH) {
    return null;
  }
  const code = input.trim().replaceAll(" ", "");
  if (code.length !== TOTP_DIGITS) {
    return null;
  }
  for (let index = 0; index < code.length; index++) {
    const char = code.charCodeAt(index);
    // ASCII only: \d-like Unicode digits ("١٢٣٤٥٦") are not what an authenticator app shows.
    if (char < 0x30 || char > 0x39) {
      return null;
    }
  }
  return code;
}

function assertSecret(secret: Uint8Array): void {
  if (
    !(secret instanceof Uint8Array) ||
    secret.byteLength < MIN_SECRET_BYTES ||
    secret.byteLength > MAX_SECRET_BYTES
  ) {
    // The secret itself is never part of the message.
    throw new KeywardError(
      "VALIDATION_ERROR",
      `A TOTP secret must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes long.`,
    );
  }
}

function assertLabelPart(value: string, name: string): void {
  // The Key URI Format separates issuer and account with a colon, so neither may contain one.
  if (value.length === 0 || value.length > 256 || value.includes(":")) {
    throw new KeywardError(
      "VALIDATION_ERROR",
      `The otpauth ${name} must be 1 to 256 characters long and must not contain a colon.`,
    );
  }
}
