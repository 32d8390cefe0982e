import { describe, expect, it } from "vitest";
import { KeywardError } from "./keyward-error.js";
import {
  checkPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH_WITH_2FA,
  MIN_PASSWORD_LENGTH_WITHOUT_2FA,
  normalizePassword,
  type PasswordContext,
  type PasswordProblemCode,
  passwordLength,
  passwordPolicyError,
} from "./password-policy.js";

const notCommon = (): boolean => false;
const withTwoFactor: PasswordContext = { twoFactor: true, isCommon: notCommon };
const withoutTwoFactor: PasswordContext = { twoFactor: false, isCommon: notCommon };

// A passphrase with no repetition or run in it, cut to the wanted number of code points.
const PHRASE = "violet kettle drums on mars, quietly humming 42 tunes; ".repeat(4);
function phrase(length: number): string {
  return Array.from(PHRASE).slice(0, length).join("");
}

function codesOf(password: string, context: PasswordContext): PasswordProblemCode[] {
  const result = checkPassword(password, context);
  return result.ok ? [] : result.reasons.map((reason) => reason.code);
}

describe("checkPassword() length", () => {
  it.each([
    { length: 11, context: withTwoFactor, codes: ["too_short"] },
    { length: 12, context: withTwoFactor, codes: [] },
    { length: 14, context: withoutTwoFactor, codes: ["too_short"] },
    { length: 15, context: withoutTwoFactor, codes: [] },
    { length: 14, context: withTwoFactor, codes: [] },
    { length: 128, context: withoutTwoFactor, codes: [] },
    { length: 129, context: withoutTwoFactor, codes: ["too_long"] },
    { length: 129, context: withTwoFactor, codes: ["too_long"] },
    { length: 0, context: withTwoFactor, codes: ["too_short"] },
  ])(
    "a password of $length code points, twoFactor $context.twoFactor: $codes",
    ({ length, context, codes }) => {
      expect(passwordLength(phrase(length))).toBe(length);
      expect(codesOf(phrase(length), context)).toEqual(codes);
    },
  );

  it("matches the documented limits", () => {
    expect([MIN_PASSWORD_LENGTH_WITH_2FA, MIN_PASSWORD_LENGTH_WITHOUT_2FA, MAX_PASSWORD_LENGTH]).toEqual([
      12, 15, 128,
    ]);
  });

  it("counts an emoji as one character, not two UTF-16 units", () => {
    const twelve = "🔑🦊🌵🚲🎻🍋🧭🪁🐙🌋🎲🛶";
    expect(twelve.length).toBe(24);
    expect(passwordLength(twelve)).toBe(12);
    expect(codesOf(twelve, withTwoFactor)).toEqual([]);
    expect(codesOf(Array.from(twelve).slice(0, 11).join(""), withTwoFactor)).toEqual(["too_short"]);
  });

  it("counts after NFKC: combining accents compose, ligatures expand", () => {
    // 12 code points as typed, 10 once "e" + U+0301 composes to "é".
    const decomposed = "re\u0301sume\u0301 kit";
    expect(Array.from(decomposed)).toHaveLength(12);
    expect(normalizePassword(decomposed)).toBe("résumé kit");
    expect(codesOf(decomposed, withTwoFactor)).toEqual(["too_short"]);
    // 11 code points as typed, 13 once the "ﬃ" ligature (U+FB03) becomes "ffi".
    const ligature = "o\uFB03ce lamp 7";
    expect(Array.from(ligature)).toHaveLength(11);
    expect(codesOf(ligature, withTwoFactor)).toEqual([]);
  });

  it("accepts any characters, spaces included, with no composition rules", () => {
    for (const password of [
      "all lower case words here",
      "ÜBER GRÖSSE MIT UMLAUTEN",
      "日本語のパスワードはとても長いです",
      "tab\tand\nnewline inside it",
    ]) {
      expect(codesOf(password, withoutTwoFactor), password).toEqual([]);
    }
  });
});

describe("checkPassword() common passwords", () => {
  it("refuses a password the injected list knows, and hands it the NFKC form", () => {
    const seen: string[] = [];
    const context: PasswordContext = {
      twoFactor: true,
      isCommon: (candidate) => {
        seen.push(candidate);
        return candidate.toLowerCase() === "password1234";
      },
    };
    // Full-width letters and digits: NFKC folds them to ASCII, so they are the same breached password.
    expect(codesOf("ｐａｓｓｗｏｒｄ１２３４", context)).toEqual(["common"]);
    expect(seen).toEqual(["password1234"]);
    expect(codesOf("PassWord1234", context)).toEqual(["common"]);
    expect(codesOf("password12345", context)).toEqual([]);
  });
});

describe("checkPassword() email and name", () => {
  const context = (email: string, name: string): PasswordContext => ({
    twoFactor: true,
    email,
    name,
    isCommon: notCommon,
  });

  it.each([
    { password: "my jane.doe@example.com pass", codes: ["contains_email"] },
    { password: "JANE.DOE forever and ever", codes: ["contains_email"] },
    { password: "xx Jane.Doe@Example.COM", codes: ["contains_email"] },
    { password: "lovelace forever and ever", codes: ["contains_name"] },
    { password: "ALLHAILLOVELACE", codes: ["contains_name"] },
    { password: "adagio sonata in b minor", codes: [] },
    { password: "jane doe is not one string", codes: [] },
  ])("with jane.doe@example.com / Ada Lovelace: $password -> $codes", ({ password, codes }) => {
    expect(codesOf(password, context("jane.doe@example.com", "Ada Lovelace"))).toEqual(codes);
  });

  it("ignores a local part shorter than 4 characters but not the whole address", () => {
    expect(codesOf("bob likes long walks", context("bob@x.io", "Robert"))).toEqual([]);
    expect(codesOf("mail me at bob@x.io ok", context("bob@x.io", "Robert"))).toEqual(["contains_email"]);
  });

  it("ignores name parts shorter than 4 characters and splits names at punctuation", () => {
    expect(codesOf("the ada of the south li", context("z@z.io", "Ada Li"))).toEqual([]);
    // The whole name is still a match, even when each part alone is too short to count.
    expect(codesOf("hello ada li from the south", context("z@z.io", "Ada Li"))).toEqual(["contains_name"]);
    expect(codesOf("the o'brien family crest", context("z@z.io", "Seán O'Brien"))).toEqual(["contains_name"]);
    expect(codesOf("the jean-luc family crest", context("z@z.io", "Jean-Luc Picard"))).toEqual([
      "contains_name",
    ]);
    expect(codesOf("seán is a rather long password", context("z@z.io", "SEÁN O'BRIEN"))).toEqual([
      "contains_name",
    ]);
  });

  it("checks nothing when the account has no email or name yet", () => {
    expect(
      codesOf("violet kettle drums", { twoFactor: true, email: "", name: " ", isCommon: notCommon }),
    ).toEqual([]);
  });
});

describe("checkPassword() repetitive passwords", () => {
  it.each([
    "aaaaaaaaaaaa",
    "AAAAAAAAAAAAAAAAAAAA",
    "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑",
    "abababababab",
    "abcabcabcabc",
    "123123123123",
    "123456789012",
    "987654321098",
    "0987654321098765",
    "abcdefghijklmnop",
    "zyxwvutsrqpo",
    "xyzabcdefghi",
    "ABCdefGHIjkl",
  ])("refuses %s", (password) => {
    expect(codesOf(password, withTwoFactor)).toEqual(["repetitive"]);
  });

  it.each([
    "abcdefghijk1",
    "1234 violet kettle drums",
    "abcdabcdabcd efgh",
    "aaaaaaaaaaab",
    "13579135791357",
  ])("accepts %s, where the pattern does not make up the whole password", (password) => {
    expect(codesOf(password, withTwoFactor)).toEqual([]);
  });
});

describe("passwordPolicyError()", () => {
  const secret = "Zq9-ada@example.com-unique-SECRET";
  const result = checkPassword(secret, {
    twoFactor: false,
    email: "ada@example.com",
    name: "Ada",
    isCommon: () => true,
  });

  it("makes one VALIDATION_ERROR entry per reason, all on /password", () => {
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const error = passwordPolicyError(result.reasons);
    expect(error).toBeInstanceOf(KeywardError);
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.status).toBe(400);
    expect(result.reasons.map((reason) => reason.code)).toEqual(["common", "contains_email"]);
    expect(error.errors).toEqual(
      result.reasons.map((reason) => ({ pointer: "/password", detail: reason.detail })),
    );
    expect(error.message).toBe(result.reasons.map((reason) => reason.detail).join(" "));
    expect(passwordPolicyError(result.reasons, { pointer: "/newPassword" }).errors?.[0]?.pointer).toBe(
      "/newPassword",
    );
  });

  it("reports every reason at once, in a stable order", () => {
    const everyReason = checkPassword("a".repeat(MAX_PASSWORD_LENGTH + 1), {
      twoFactor: false,
      email: "aaaa@example.com",
      name: "Aaaaaa",
      isCommon: () => true,
    });
    expect(everyReason.ok ? [] : everyReason.reasons.map((reason) => reason.code)).toEqual([
      "too_long",
      "common",
      "contains_email",
      "contains_name",
      "repetitive",
    ]);
  });

  it("never quotes the password or the email", () => {
    if (result.ok) throw new Error("expected a refusal");
    const error = passwordPolicyError(result.reasons);
    const text = `${error.message} ${JSON.stringify(error.errors)}`;
    expect(text).not.toContain(secret);
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("ada@example.com");
  });
});
