import { readFileSync } from "node:fs";
import { KeywardError } from "@keyward/core/keyward-error.js";

/**
 * The shipped list of common and breached passwords (source, selection and license: packages/server/data/README.md).
 * Two levels up from both src/auth/ (tests) and dist/auth/ (the built package), so one path serves both.
 */
export const COMMON_PASSWORDS_FILE = new URL("../../data/common-passwords.txt", import.meta.url);

/**
 * Fewer entries than this means a truncated or wrong file. Failing loudly beats an empty set that would let every
 * breached password through without anyone noticing.
 */
const MIN_EXPECTED_ENTRIES = 10_000;

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * True when `candidate` is on the shipped list, compared after NFKC normalization and case-insensitively. The list
 * holds only passwords of 12 to 128 characters: shorter and longer ones are refused by length alone, so this says
 * false for "123456". The first call reads the file (about 640 KB, a few milliseconds, synchronously); later calls
 * are one Set lookup.
 */
export function isCommonPassword(candidate: string): boolean {
  commonPasswords ??= loadCommonPasswords(COMMON_PASSWORDS_FILE);
  return commonPasswords.has(candidate.normalize("NFKC").toLowerCase());
}

/** Reads a list of one lower-case password a line into a Set; throws INTERNAL_ERROR when it is missing or short. */
export function loadCommonPasswords(file: URL | string): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new KeywardError(
      "INTERNAL_ERROR",
      `The common password list ${String(file)} cannot be read; reinstall keyward.`,
      {
        cause,
      },
    );
  }
  const entries = new Set(text.split("\n"));
  entries.delete("");
  if (entries.size < MIN_EXPECTED_ENTRIES) {
    throw new KeywardError(
      "INTERNAL_ERROR",
      `The common password list ${String(file)} has ${entries.size} entries, expected at least ${MIN_EXPECTED_ENTRIES}; reinstall keyward.`,
    );
  }
  return entries;
}
