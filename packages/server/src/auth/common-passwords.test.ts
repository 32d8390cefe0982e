import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";
import {
  checkPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH_WITH_2FA,
} from "@keyward/core/password-policy.js";
import { afterAll, describe, expect, it } from "vitest";
import { COMMON_PASSWORDS_FILE, isCommonPassword, loadCommonPasswords } from "./common-passwords.js";

describe("the shipped common password list", () => {
  const list = loadCommonPasswords(COMMON_PASSWORDS_FILE);

  it("holds the 43,940 passwords of 12 to 128 characters from the top million, in lower case", () => {
    expect(list.size).toBe(43_940);
    for (const entry of ["password1234", "qwertyuiop123", "123456789012", "1q2w3e4r5t6y", "iloveyou1234"]) {
      expect(list.has(entry), entry).toBe(true);
    }
    for (const entry of list) {
      if (entry !== entry.normalize("NFKC").toLowerCase()) throw new Error(`not normalized: ${entry}`);
    }
  });

  it("starts at the policy's shortest acceptable length, so no entry is dead weight and none is missing", () => {
    // When the policy's minimum changes, regenerate the list: node scripts/generate-common-passwords.mjs
    const lengths = [...list].map((entry) => Array.from(entry).length);
    expect(Math.min(...lengths)).toBe(MIN_PASSWORD_LENGTH_WITH_2FA);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_PASSWORD_LENGTH);
  });
});

describe("isCommonPassword()", () => {
  it("finds listed passwords whatever their case or Unicode form", () => {
    expect(isCommonPassword("password1234")).toBe(true);
    expect(isCommonPassword("PassWord1234")).toBe(true);
    expect(isCommonPassword("ＱＷＥＲＴＹＵＩＯＰ１２３")).toBe(true);
    expect(isCommonPassword("violet kettle drums on mars")).toBe(false);
    // Below the list's 12 characters: the policy refuses these by length instead.
    expect(isCommonPassword("password")).toBe(false);
  });

  it("makes checkPassword() refuse a breached password that passes every other rule", () => {
    expect(checkPassword("qwertyuiop123", { twoFactor: true, isCommon: isCommonPassword })).toEqual({
      ok: false,
      reasons: [{ code: "common", detail: expect.any(String) }],
    });
    expect(checkPassword("violet kettle drums 123", { twoFactor: true, isCommon: isCommonPassword })).toEqual(
      {
        ok: true,
      },
    );
  });
});

describe("loadCommonPasswords()", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyward-common-passwords-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a missing file rather than checking against nothing", () => {
    expect(() => loadCommonPasswords(join(dir, "absent.txt"))).toThrow(KeywardError);
  });

  it("refuses a truncated file rather than letting breached passwords through", () => {
    const file = join(dir, "short.txt");
    writeFileSync(file, "password1234\nqwertyuiop123\n");
    expect(() => loadCommonPasswords(file)).toThrow(/has 2 entries/);
  });
});
