import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { describeKmsConformance } from "./kms.conformance.js";
import { LocalKms } from "./local-kms.js";

describeKmsConformance("LocalKms", async () => new LocalKms(randomBytes(32)));

describe("LocalKms", () => {
  it("rejects a master key that is not exactly 32 bytes with MASTER_KEY_INVALID", async () => {
    for (const length of [0, 16, 31, 33, 64]) {
      await expectKeywardError(() => new LocalKms(randomBytes(length)), "MASTER_KEY_INVALID");
    }
  });

  it("gives two different master keys different keyIds, and one master key the same keyId", () => {
    const master = randomBytes(32);
    expect(new LocalKms(master).keyId).toBe(new LocalKms(Buffer.from(master)).keyId);
    expect(new LocalKms(master).keyId).not.toBe(new LocalKms(randomBytes(32)).keyId);
  });

  it("derives keyId from a fingerprint that does not contain the master key", () => {
    const master = randomBytes(32);
    const { keyId } = new LocalKms(master);
    expect(keyId).toMatch(/^local:[0-9a-f]{16}$/);
    for (const encoding of ["hex", "base64", "base64url"] as const) {
      expect(keyId).not.toContain(master.toString(encoding));
      expect(keyId).not.toContain(master.subarray(0, 8).toString(encoding));
    }
  });

  it("keeps its own copy of the master key, so zeroing the caller's buffer changes nothing", async () => {
    const master = randomBytes(32);
    const kms = new LocalKms(master);
    const dataKey = await kms.generateDataKey("pepper");
    master.fill(0);
    expect((await kms.unwrapDataKey(dataKey.wrapped, "pepper")).equals(dataKey.plaintext)).toBe(true);
  });
});
