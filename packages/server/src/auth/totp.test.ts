import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { newTotpSecret, otpauthUri, TOTP_SECRET_BYTES, totpStepAt, verifyTotp } from "./totp.js";

// An independent RFC 4226/6238 implementation on node:crypto, so the module (built on @oslojs/otp) is checked
// against code that shares nothing with it.
function referenceHotp(secret: Uint8Array, counter: number, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", secret).update(message).digest();
  // RFC 4226 §5.3 dynamic truncation: the low nibble of the last byte picks 4 bytes, top bit cleared.
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

function referenceTotp(secret: Uint8Array, unixSeconds: number, digits = 6): string {
  return referenceHotp(secret, Math.floor(unixSeconds / 30), digits);
}

const RFC_SECRET = Buffer.from("12345678901234567890", "ascii");
const STEP_MS = 30_000;

// RFC 6238 Appendix B, SHA-1 rows (8 digits).
const RFC_6238_SHA1: ReadonlyArray<[unixSeconds: number, code: string]> = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

// RFC 4226 Appendix D: 6-digit HOTP values for counters 0 to 9.
const RFC_4226_HOTP = [
  "755224",
  "287082",
  "359152",
  "969429",
  "338314",
  "254676",
  "287922",
  "162583",
  "399871",
  "520489",
];

/** A fixed secret and time whose codes for steps -3..+3 around `nowMs` are all different, so refusals are exact. */
const SECRET = Buffer.from("3132333435363738393031323334353637383930aabbccdd", "hex");
const NOW_MS = Date.parse("2026-11-28T09:00:10.000Z");
const STEP = Math.floor(NOW_MS / STEP_MS);

function codeAt(step: number, secret: Uint8Array = SECRET): string {
  return referenceHotp(secret, step, 6);
}

describe("the independent reference implementation", () => {
  it("reproduces the RFC 6238 Appendix B SHA-1 vectors", () => {
    for (const [unixSeconds, code] of RFC_6238_SHA1) {
      expect(referenceTotp(RFC_SECRET, unixSeconds, 8)).toBe(code);
    }
  });

  it("reproduces the RFC 4226 Appendix D HOTP vectors", () => {
    expect(RFC_4226_HOTP.map((_, counter) => referenceHotp(RFC_SECRET, counter, 6))).toEqual(RFC_4226_HOTP);
  });

  it("has distinct codes around the fixed test time, which the drift and replay tests rely on", () => {
    const codes = [-3, -2, -1, 0, 1, 2, 3].map((offset) => codeAt(STEP + offset));
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe("verifyTotp()", () => {
  it("accepts the 6-digit truncation of the RFC 6238 SHA-1 vectors at their times", () => {
    for (const [unixSeconds, code8] of RFC_6238_SHA1) {
      const result = verifyTotp({
        secret: RFC_SECRET,
        code: code8.slice(-6),
        nowMs: unixSeconds * 1000,
        lastUsedStep: null,
        window: 0,
      });
      expect(result).toEqual({ ok: true, step: Math.floor(unixSeconds / 30) });
    }
  });

  it("accepts the RFC 4226 HOTP values as the codes of steps 0 to 9", () => {
    for (const [counter, code] of RFC_4226_HOTP.entries()) {
      const result = verifyTotp({
        secret: RFC_SECRET,
        code,
        nowMs: counter * STEP_MS + 15_000,
        lastUsedStep: null,
        window: 0,
      });
      expect(result).toEqual({ ok: true, step: counter });
    }
  });

  it("agrees with the reference implementation for random secrets and times", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 60_000, max: 4_102_444_800_000 }),
        (secret, nowMs) => {
          const step = totpStepAt(nowMs);
          const code = codeAt(step, secret);
          // Two steps share a code one time in a million; the latest matching step of the window is reported then.
          const expectedStep = Math.max(
            ...[step - 1, step, step + 1].filter((s) => codeAt(s, secret) === code),
          );
          expect(verifyTotp({ secret, code, nowMs, lastUsedStep: null })).toEqual({
            ok: true,
            step: expectedStep,
          });
          const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
          const wrongMatches = [step - 1, step, step + 1].some((s) => codeAt(s, secret) === wrong);
          if (!wrongMatches) {
            expect(verifyTotp({ secret, code: wrong, nowMs, lastUsedStep: null })).toEqual({
              ok: false,
              reason: "invalid",
            });
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("uses the step boundaries of RFC 6238: T = floor(unix seconds / 30)", () => {
    const start = STEP * STEP_MS;
    expect(
      verifyTotp({ secret: SECRET, code: codeAt(STEP), nowMs: start, lastUsedStep: null, window: 0 }),
    ).toEqual({ ok: true, step: STEP });
    expect(
      verifyTotp({
        secret: SECRET,
        code: codeAt(STEP),
        nowMs: start + 29_999,
        lastUsedStep: null,
        window: 0,
      }),
    ).toEqual({ ok: true, step: STEP });
    expect(
      verifyTotp({
        secret: SECRET,
        code: codeAt(STEP),
        nowMs: start + 30_000,
        lastUsedStep: null,
        window: 0,
      }),
    ).toEqual({ ok: false, reason: "invalid" });
  });

  it("accepts a code one step behind or ahead (clock drift) and reports that code's step", () => {
    for (const offset of [-1, 1]) {
      expect(
        verifyTotp({ secret: SECRET, code: codeAt(STEP + offset), nowMs: NOW_MS, lastUsedStep: null }),
      ).toEqual({ ok: true, step: STEP + offset });
    }
  });

  it("refuses a code two steps behind or ahead as invalid", () => {
    for (const offset of [-2, 2]) {
      expect(
        verifyTotp({ secret: SECRET, code: codeAt(STEP + offset), nowMs: NOW_MS, lastUsedStep: null }),
      ).toEqual({ ok: false, reason: "invalid" });
    }
  });

  it("honours a wider or narrower window when asked", () => {
    const twoBehind = codeAt(STEP - 2);
    expect(
      verifyTotp({ secret: SECRET, code: twoBehind, nowMs: NOW_MS, lastUsedStep: null, window: 2 }),
    ).toEqual({
      ok: true,
      step: STEP - 2,
    });
    expect(
      verifyTotp({ secret: SECRET, code: codeAt(STEP + 1), nowMs: NOW_MS, lastUsedStep: null, window: 0 }),
    ).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuses the same code again once its step is stored, even later within the window", () => {
    const code = codeAt(STEP);
    const first = verifyTotp({ secret: SECRET, code, nowMs: NOW_MS, lastUsedStep: null });
    expect(first).toEqual({ ok: true, step: STEP });
    const lastUsedStep = first.ok ? first.step : null;
    for (const later of [0, 5_000, STEP_MS, 2 * STEP_MS - 1]) {
      const nowMs = STEP * STEP_MS + later;
      expect(verifyTotp({ secret: SECRET, code, nowMs, lastUsedStep })).toEqual({
        ok: false,
        reason: "replayed",
      });
    }
  });

  it("refuses an older step's code after a newer one was used, and accepts a newer one", () => {
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP - 1), nowMs: NOW_MS, lastUsedStep: STEP })).toEqual(
      {
        ok: false,
        reason: "replayed",
      },
    );
    // A code from a fast clock (step + 1) was used; the current step's code is now older and refused.
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP), nowMs: NOW_MS, lastUsedStep: STEP + 1 })).toEqual(
      {
        ok: false,
        reason: "replayed",
      },
    );
    expect(verifyTotp({ secret: SECRET, code: codeAt(STEP + 1), nowMs: NOW_MS, lastUsedStep: STEP })).toEqual(
      {
        ok: true,
        step: STEP + 1,
      },
    );
  });

  it("still reports a wrong code as invalid, not replayed, when a step was used", () => {
    const wrong = ["000000", "999999", "123456"].find(
      (candidate) => ![-1, 0, 1].some((offset) => codeAt(STEP + offset) === candidate),
    );
    expect(wrong).toBeDefined();
    expect(verifyTotp({ secret: SECRET, code: wrong ?? "", nowMs: NOW_MS, lastUsedStep: STEP })).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it("reports the later step when two steps of the window share a code, so a replay stays refused", () => {
    // Found by search: with SECRET, steps 61027785 and 61027786 both have the code 008309.
    const shared = 61_027_785;
    expect([codeAt(shared), codeAt(shared + 1)]).toEqual(["008309", "008309"]);
    const nowMs = shared * STEP_MS + 1_000;
    expect(verifyTotp({ secret: SECRET, code: "008309", nowMs, lastUsedStep: null })).toEqual({
      ok: true,
      step: shared + 1,
    });
    expect(verifyTotp({ secret: SECRET, code: "008309", nowMs, lastUsedStep: shared + 1 })).toEqual({
      ok: false,
      reason: "replayed",
    });
  });

  it("accepts a code with surrounding whitespace or a space in the middle", () => {
    const code = codeAt(STEP);
    for (const typed of [` ${code} `, `${code.slice(0, 3)} ${code.slice(3)}`, `\t${code}\n`]) {
      expect(verifyTotp({ secret: SECRET, code: typed, nowMs: NOW_MS, lastUsedStep: null })).toEqual({
        ok: true,
        step: STEP,
      });
    }
  });

  it("refuses anything but six ASCII digits as malformed", () => {
    const code = codeAt(STEP);
    const malformed = [
      "",
      "   ",
      "12345",
      "abcdef",
      "1234567",
      `${code}0`,
      code.slice(1),
      `${code.slice(0, 5)}a`,
      `${code.slice(0, 3)}-${code.slice(3)}`,
      `${code.slice(0, 3)}\u00a0${code.slice(3)}`,
      "١٢٣٤٥٦",
      "１２３４５６",
      "+12345",
      "12345:",
      "1e5000",
      code.padEnd(10_000, " "),
    ];
    for (const input of malformed) {
      expect(verifyTotp({ secret: SECRET, code: input, nowMs: NOW_MS, lastUsedStep: null }), input).toEqual({
        ok: false,
        reason: "malformed",
      });
    }
  });

  it("throws VALIDATION_ERROR for a secret shorter than 128 bits, never naming it", async () => {
    const error = await expectKeywardError(
      () =>
        verifyTotp({
          secret: Buffer.from("short-secret"),
          code: "123456",
          nowMs: NOW_MS,
          lastUsedStep: null,
        }),
      "VALIDATION_ERROR",
    );
    expect(error.message).not.toContain("short-secret");
  });

  it("throws VALIDATION_ERROR for an impossible time, window or last used step", async () => {
    const base = { secret: SECRET, code: "123456", nowMs: NOW_MS, lastUsedStep: null };
    await expectKeywardError(() => verifyTotp({ ...base, nowMs: Number.NaN }), "VALIDATION_ERROR");
    await expectKeywardError(() => verifyTotp({ ...base, nowMs: -1 }), "VALIDATION_ERROR");
    await expectKeywardError(() => verifyTotp({ ...base, window: -1 }), "VALIDATION_ERROR");
    await expectKeywardError(() => verifyTotp({ ...base, window: 1.5 }), "VALIDATION_ERROR");
    await expectKeywardError(() => verifyTotp({ ...base, window: 11 }), "VALIDATION_ERROR");
    await expectKeywardError(() => verifyTotp({ ...base, lastUsedStep: 1.5 }), "VALIDATION_ERROR");
  });
});

describe("newTotpSecret()", () => {
  it("returns 20 bytes from the injected random source", () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, index) => index);
    let requested = 0;
    const secret = newTotpSecret((size) => {
      requested = size;
      return bytes;
    });
    expect(requested).toBe(TOTP_SECRET_BYTES);
    expect(TOTP_SECRET_BYTES).toBe(20);
    expect([...secret]).toEqual([...bytes]);
  });

  it("returns a different 20-byte secret each time by default", () => {
    const first = newTotpSecret();
    const second = newTotpSecret();
    expect(first.byteLength).toBe(20);
    expect(second.byteLength).toBe(20);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
  });

  it("throws when the random source returns the wrong number of bytes", async () => {
    await expectKeywardError(() => newTotpSecret(() => new Uint8Array(10)), "INTERNAL_ERROR");
  });
});

describe("otpauthUri()", () => {
  it("builds the Key URI Format string with the label and issuer percent-encoded", () => {
    expect(otpauthUri({ secret: RFC_SECRET, accountName: "alice+2fa@example.com" })).toBe(
      "otpauth://totp/Keyward:alice%2B2fa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" +
        "&issuer=Keyward&algorithm=SHA1&digits=6&period=30",
    );
  });

  it("encodes a configured issuer with %20 for spaces, never +", () => {
    const uri = otpauthUri({
      secret: RFC_SECRET,
      accountName: "bob@example.com",
      issuer: "Keyward Staging & Co",
    });
    expect(uri).toBe(
      "otpauth://totp/Keyward%20Staging%20%26%20Co:bob%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" +
        "&issuer=Keyward%20Staging%20%26%20Co&algorithm=SHA1&digits=6&period=30",
    );
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe("otpauth:");
    expect(parsed.host).toBe("totp");
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe("Keyward Staging & Co:bob@example.com");
    expect(parsed.searchParams.get("issuer")).toBe("Keyward Staging & Co");
    expect(parsed.searchParams.get("secret")).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });

  it("refuses an issuer or account name with a colon or empty, and a short secret", async () => {
    await expectKeywardError(
      () => otpauthUri({ secret: RFC_SECRET, accountName: "alice@example.com", issuer: "Key:ward" }),
      "VALIDATION_ERROR",
    );
    await expectKeywardError(
      () => otpauthUri({ secret: RFC_SECRET, accountName: "a:b" }),
      "VALIDATION_ERROR",
    );
    await expectKeywardError(() => otpauthUri({ secret: RFC_SECRET, accountName: "" }), "VALIDATION_ERROR");
    await expectKeywardError(
      () => otpauthUri({ secret: new Uint8Array(8), accountName: "alice@example.com" }),
      "VALIDATION_ERROR",
    );
  });
});
