import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { generateWebhookSecret, parseWebhookSecret, WEBHOOK_SECRET_PREFIX } from "./webhook-secret.js";

const bytes = (n: number, fill = 7): Buffer => Buffer.alloc(n, fill);

describe("generateWebhookSecret()", () => {
  it("returns whsec_ followed by the standard base64 of 32 random bytes", () => {
    const secret = generateWebhookSecret();
    expect(secret.startsWith(WEBHOOK_SECRET_PREFIX)).toBe(true);
    expect(Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), "base64")).toHaveLength(32);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });

  it("gives a different secret on every call", () => {
    expect(generateWebhookSecret()).not.toBe(generateWebhookSecret());
  });

  it("asks the injected randomness for 32 bytes and encodes exactly what it returned", () => {
    const requested: number[] = [];
    const secret = generateWebhookSecret((n) => {
      requested.push(n);
      return Buffer.from(Array.from({ length: n }, (_, i) => i));
    });
    expect(requested).toEqual([32]);
    expect(secret).toBe("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  });

  it("refuses a short read from the injected randomness instead of issuing a weaker secret", () => {
    expect(() => generateWebhookSecret(() => bytes(16))).toThrow(RangeError);
  });

  it("round-trips through parseWebhookSecret()", () => {
    const key = bytes(32, 0xab);
    expect(parseWebhookSecret(generateWebhookSecret(() => key)).equals(key)).toBe(true);
  });
});

describe("parseWebhookSecret()", () => {
  for (const length of [24, 32, 48, 64]) {
    it(`returns the ${length} key bytes of a whsec_ secret`, () => {
      const key = Buffer.from(Array.from({ length }, (_, i) => (i * 37) & 0xff));
      expect(parseWebhookSecret(`whsec_${key.toString("base64")}`).equals(key)).toBe(true);
    });
  }

  const canonical = bytes(32, 0xfb).toString("base64");
  const rejected: Array<[string, string]> = [
    ["an empty string", ""],
    ["a secret without the prefix", canonical],
    ["a prefix in the wrong case", `WHSEC_${canonical}`],
    ["a prefix alone", "whsec_"],
    ["23 bytes", `whsec_${bytes(23).toString("base64")}`],
    ["65 bytes", `whsec_${bytes(65).toString("base64")}`],
    ["a very long secret", `whsec_${bytes(10_000).toString("base64")}`],
    ["base64url instead of base64", `whsec_${bytes(32, 0xfb).toString("base64url")}`],
    ["missing padding", `whsec_${canonical.replace(/=+$/, "")}`],
    ["a character Buffer.from() would skip", `whsec_${canonical.slice(0, 10)}!${canonical.slice(10)}`],
    ["surrounding whitespace", `whsec_${canonical} `],
    ["an embedded newline", `whsec_${canonical.slice(0, 20)}\n${canonical.slice(20)}`],
    ["non-zero trailing bits", `whsec_${canonical.slice(0, -2)}B=`],
  ];
  for (const [name, secret] of rejected) {
    it(`refuses ${name} with VALIDATION_ERROR on /secret without echoing it`, async () => {
      const error = await expectKeywardError(() => parseWebhookSecret(secret), "VALIDATION_ERROR");
      expect(error.errors).toEqual([
        { pointer: "/secret", detail: "must be whsec_ followed by the base64 of 24 to 64 bytes" },
      ]);
      expect(error.message).toBe("secret must be whsec_ followed by the base64 of 24 to 64 bytes.");
    });
  }
});
