import { KeywardError } from "./keyward-error.js";

/**
 * Password rules for admin accounts, after NIST SP 800-63B §5.1.1.2 (memorized secrets): a minimum length and a
 * blocklist, and deliberately no composition rules ("one digit, one symbol") or forced expiry, which push people to
 * predictable patterns ("Password1!") without adding strength.
 */

/** Shortest password accepted from a user who has two-factor authentication. */
export const MIN_PASSWORD_LENGTH_WITH_2FA = 12;
/** Shortest password accepted from a user without two-factor authentication: the password is their only factor. */
export const MIN_PASSWORD_LENGTH_WITHOUT_2FA = 15;
/** Longest password accepted (NIST asks for at least 64; 128 leaves room for passphrases and bounds the work). */
export const MAX_PASSWORD_LENGTH = 128;
/** Name parts shorter than this are not looked for in a password: "Li" or "Bo" would refuse half the dictionary. */
export const MIN_MATCHED_NAME_LENGTH = 4;

/** Why a password is refused: a stable code for programs, a sentence for people. */
export type PasswordProblemCode =
  | "too_short"
  | "too_long"
  | "common"
  | "contains_email"
  | "contains_name"
  | "repetitive";

/** One reason a password is refused. `detail` never quotes the password. */
export interface PasswordProblem {
  code: PasswordProblemCode;
  detail: string;
}

/** The result of {@link checkPassword}: a refusal is data, with every reason at once. */
export type PasswordCheck = { ok: true } | { ok: false; reasons: PasswordProblem[] };

/** What {@link checkPassword} needs to know about the account and the world. */
export interface PasswordContext {
  /** True when the user has a second factor; without one the minimum length is higher. */
  twoFactor: boolean;
  /** The account's email address; the password may contain neither it nor its local part. */
  email?: string;
  /** The account's display name; the password may not contain any part of it of 4 or more characters. */
  name?: string;
  /**
   * True when the password is on the list of common and breached passwords. Receives the NFKC-normalized
   * password and must compare case-insensitively. Injected so this module stays free of I/O.
   */
  isCommon(normalizedPassword: string): boolean;
}

/**
 * The form of a password that is checked, hashed and verified: Unicode NFKC, as NIST SP 800-63B asks, so the same
 * password typed on two keyboards (composed "é" or "e" + combining accent, full-width digits) is the same secret.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** The length the rules count: Unicode code points after NFKC normalization (an emoji is one, not two). */
export function passwordLength(password: string): number {
  return codePoints(normalizePassword(password)).length;
}

/** The minimum password length for a user with or without two-factor authentication. */
export function minimumPasswordLength(options: { twoFactor: boolean }): number {
  return options.twoFactor ? MIN_PASSWORD_LENGTH_WITH_2FA : MIN_PASSWORD_LENGTH_WITHOUT_2FA;
}

/** Checks a new password against the rules and returns every reason it is refused, or `{ ok: true }`. */
export function checkPassword(password: string, context: PasswordContext): PasswordCheck {
  const normalized = normalizePassword(password);
  const lower = normalized.toLowerCase();
  const points = codePoints(lower);
  const reasons: PasswordProblem[] = [];

  const minimum = minimumPasswordLength(context);
  if (points.length < minimum) {
    reasons.push({
      code: "too_short",
      detail: context.twoFactor
        ? `A password must be at least ${MIN_PASSWORD_LENGTH_WITH_2FA} characters long.`
        : `A password must be at least ${MIN_PASSWORD_LENGTH_WITHOUT_2FA} characters long, or ${MIN_PASSWORD_LENGTH_WITH_2FA} with two-factor authentication on.`,
    });
  } else if (points.length > MAX_PASSWORD_LENGTH) {
    reasons.push({
      code: "too_long",
      detail: `A password must be at most ${MAX_PASSWORD_LENGTH} characters long.`,
    });
  }
  if (context.isCommon(normalized)) {
    reasons.push({
      code: "common",
      detail: "This password is on a list of common or breached passwords; choose another.",
    });
  }
  if (emailFragments(context.email).some((fragment) => lower.includes(fragment))) {
    reasons.push({
      code: "contains_email",
      detail: "A password must not contain the account's email address or the part before the @.",
    });
  }
  if (nameFragments(context.name).some((fragment) => lower.includes(fragment))) {
    reasons.push({ code: "contains_name", detail: "A password must not contain the account's name." });
  }
  if (isRepetitive(points)) {
    reasons.push({
      code: "repetitive",
      detail:
        "A password must not be one character or a short pattern repeated, or a run such as 123456… or abcdef….",
    });
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/**
 * The VALIDATION_ERROR to throw for a refused password: one `errors[]` entry per reason, all naming the password
 * field. The details are fixed sentences, so the password never reaches a response or a log.
 */
export function passwordPolicyError(
  reasons: readonly PasswordProblem[],
  options: { pointer?: string } = {},
): KeywardError {
  const pointer = options.pointer ?? "/password";
  return new KeywardError("VALIDATION_ERROR", reasons.map((reason) => reason.detail).join(" "), {
    errors: reasons.map((reason) => ({ pointer, detail: reason.detail })),
  });
}

function codePoints(text: string): string[] {
  return Array.from(text);
}

/** The whole address, and its local part when it is long enough to be more than a coincidence. */
function emailFragments(email: string | undefined): string[] {
  const address = email?.normalize("NFKC").trim().toLowerCase() ?? "";
  if (address === "") return [];
  const at = address.lastIndexOf("@");
  const local = at === -1 ? address : address.slice(0, at);
  return codePoints(local).length >= MIN_MATCHED_NAME_LENGTH ? [address, local] : [address];
}

/** Each part of the name (split at spaces and punctuation) of at least 4 characters, and the whole name. */
function nameFragments(name: string | undefined): string[] {
  const whole = name?.normalize("NFKC").trim().toLowerCase() ?? "";
  const fragments = whole.split(/[\s\p{P}]+/u);
  fragments.push(whole);
  return fragments.filter((fragment) => codePoints(fragment).length >= MIN_MATCHED_NAME_LENGTH);
}

/** Longest unit whose repetition makes a password repetitive ("ababab…", "123123…"). */
const MAX_REPEATED_UNIT = 3;

/**
 * True when the whole password is one character or a unit of up to 3 characters repeated ("aaaaaaaaaaaa",
 * "abcabcabcabc"), or a run of consecutive digits or letters in either direction, wrapping 9→0 and z→a
 * ("123456789012", "zyxwvutsrqpo"). NIST SP 800-63B names "repetitive or sequential characters" among what a
 * blocklist must hold; the breached list has such passwords only at the lengths people happened to use
 * ("aaaaaaaaaaaa" but not thirteen a's), and they are among an attacker's first guesses at every length, so a rule
 * covers them all. Only the whole password is judged: a long passphrase that merely contains "1234" is fine.
 */
function isRepetitive(points: readonly string[]): boolean {
  if (points.length < 2) return false;
  for (let unit = 1; unit <= MAX_REPEATED_UNIT && unit * 2 <= points.length; unit++) {
    if (points.every((point, index) => index < unit || point === points[index - unit])) return true;
  }
  return isRun(points, 1) || isRun(points, -1);
}

function isRun(points: readonly string[], step: 1 | -1): boolean {
  for (let index = 1; index < points.length; index++) {
    if (!follows(points[index - 1] as string, points[index] as string, step)) return false;
  }
  return true;
}

const CYCLES = ["0123456789", "abcdefghijklmnopqrstuvwxyz"];

/** True when `next` comes `step` after `previous` among the digits or the letters a-z, wrapping at the ends. */
function follows(previous: string, next: string, step: 1 | -1): boolean {
  for (const cycle of CYCLES) {
    const at = cycle.indexOf(previous);
    if (at !== -1) return cycle[(at + step + cycle.length) % cycle.length] === next;
  }
  return false;
}
