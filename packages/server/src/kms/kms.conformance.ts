import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { openSecret, rewrapSecret, type SealedSecret, sealSecret } from "./envelope.js";
import type { Kms } from "./kms.js";

/**
 * The one suite every {@link Kms} implementation must pass, written only against the interface.
 * Each call of `create` must return a Kms holding its own, newly made master key.
 */
export function describeKmsConformance(name: string, create: () => Promise<Kms>): void {
  describe(`Kms conformance: ${name}`, () => {
    const context = "pepper";

    function flipBit(bytes: Buffer, index: number): Buffer {
      const copy = Buffer.from(bytes);
      copy[index] = (copy[index] as number) ^ 0x01;
      return copy;
    }

    describe("generateDataKey()", () => {
      it("returns a 32-byte plaintext and a wrapped form that neither is nor contains it", async () => {
        const kms = await create();
        const dataKey = await kms.generateDataKey(context);
        expect(dataKey.plaintext).toBeInstanceOf(Buffer);
        expect(dataKey.plaintext).toHaveLength(32);
        expect(dataKey.wrapped).toBeInstanceOf(Buffer);
        expect(dataKey.wrapped.length).toBeGreaterThan(0);
        expect(dataKey.wrapped.equals(dataKey.plaintext)).toBe(false);
        expect(dataKey.wrapped.includes(dataKey.plaintext)).toBe(false);
      });

      it("returns a different data key, and a different wrapped form, every time", async () => {
        const kms = await create();
        const a = await kms.generateDataKey(context);
        const b = await kms.generateDataKey(context);
        expect(a.plaintext.equals(b.plaintext)).toBe(false);
        expect(a.wrapped.equals(b.wrapped)).toBe(false);
      });
    });

    describe("unwrapDataKey()", () => {
      it("returns the plaintext of a data key wrapped for the same context", async () => {
        const kms = await create();
        const dataKey = await kms.generateDataKey(context);
        const unwrapped = await kms.unwrapDataKey(dataKey.wrapped, context);
        expect(unwrapped.equals(dataKey.plaintext)).toBe(true);
      });

      it("hands out buffers the caller may zero without harming later unwraps", async () => {
        const kms = await create();
        const dataKey = await kms.generateDataKey(context);
        const original = Buffer.from(dataKey.plaintext);
        dataKey.plaintext.fill(0);
        const first = await kms.unwrapDataKey(dataKey.wrapped, context);
        expect(first.equals(original)).toBe(true);
        first.fill(0);
        expect((await kms.unwrapDataKey(dataKey.wrapped, context)).equals(original)).toBe(true);
      });

      it("throws DECRYPTION_FAILED for a data key wrapped for another context", async () => {
        const kms = await create();
        const dataKey = await kms.generateDataKey(context);
        await expectKeywardError(kms.unwrapDataKey(dataKey.wrapped, "webhook-secret"), "DECRYPTION_FAILED");
        await expectKeywardError(kms.unwrapDataKey(dataKey.wrapped, ""), "DECRYPTION_FAILED");
        await expectKeywardError(kms.unwrapDataKey(dataKey.wrapped, `${context} `), "DECRYPTION_FAILED");
      });

      it("throws DECRYPTION_FAILED when any single bit of the wrapped key is flipped", async () => {
        const kms = await create();
        const { wrapped } = await kms.generateDataKey(context);
        for (let i = 0; i < wrapped.length; i++) {
          await expectKeywardError(kms.unwrapDataKey(flipBit(wrapped, i), context), "DECRYPTION_FAILED");
        }
      });

      it("throws DECRYPTION_FAILED for a truncated, extended or empty wrapped key", async () => {
        const kms = await create();
        const { wrapped } = await kms.generateDataKey(context);
        for (const length of [0, 1, Math.floor(wrapped.length / 2), wrapped.length - 1]) {
          await expectKeywardError(
            kms.unwrapDataKey(wrapped.subarray(0, length), context),
            "DECRYPTION_FAILED",
          );
        }
        await expectKeywardError(
          kms.unwrapDataKey(Buffer.concat([wrapped, Buffer.alloc(1)]), context),
          "DECRYPTION_FAILED",
        );
      });

      it("throws DECRYPTION_FAILED for a data key wrapped under another master key", async () => {
        const kms = await create();
        const other = await create();
        const { wrapped } = await other.generateDataKey(context);
        await expectKeywardError(kms.unwrapDataKey(wrapped, context), "DECRYPTION_FAILED");
      });
    });

    describe("keyId", () => {
      it("is a non-empty string that stays the same across calls (until a new version is made)", async () => {
        const kms = await create();
        const before = kms.keyId;
        expect(typeof before).toBe("string");
        expect(before.length).toBeGreaterThan(0);
        await kms.generateDataKey(context);
        expect(kms.keyId).toBe(before);
      });

      it("differs between two master keys", async () => {
        const a = await create();
        const b = await create();
        expect(a.keyId).not.toBe(b.keyId);
      });

      it("never contains data key material", async () => {
        const kms = await create();
        const dataKey = await kms.generateDataKey(context);
        for (const encoding of ["hex", "base64", "base64url"] as const) {
          expect(kms.keyId).not.toContain(dataKey.plaintext.toString(encoding));
          expect(kms.keyId).not.toContain(dataKey.plaintext.subarray(0, 8).toString(encoding));
        }
      });
    });

    describe("master key versions", () => {
      it("starts with one version, the current one, named by keyId", async () => {
        const kms = await create();
        expect(await kms.keyVersions()).toEqual([{ keyId: kms.keyId, current: true }]);
        const dataKey = await kms.generateDataKey(context);
        expect(dataKey.keyId).toBe(kms.keyId);
      });

      it("makes a new current version; data keys of the old one still unwrap by naming it", async () => {
        const kms = await create();
        const first = kms.keyId;
        const old = await kms.generateDataKey(context);
        const second = await kms.createKeyVersion();
        expect(second).not.toBe(first);
        expect(kms.keyId).toBe(second);
        expect(await kms.keyVersions()).toEqual([
          { keyId: first, current: false },
          { keyId: second, current: true },
        ]);
        const fresh = await kms.generateDataKey(context);
        expect(fresh.keyId).toBe(second);
        expect((await kms.unwrapDataKey(old.wrapped, context, first)).equals(old.plaintext)).toBe(true);
        expect((await kms.unwrapDataKey(fresh.wrapped, context, second)).equals(fresh.plaintext)).toBe(true);
        // Each wrapped key opens only under the version that wrapped it.
        await expectKeywardError(kms.unwrapDataKey(old.wrapped, context, second), "DECRYPTION_FAILED");
        await expectKeywardError(kms.unwrapDataKey(old.wrapped, context), "DECRYPTION_FAILED");
      });

      it("rewraps a data key under the current version, for the same context only", async () => {
        const kms = await create();
        const first = kms.keyId;
        const old = await kms.generateDataKey(context);
        await kms.createKeyVersion();
        const moved = await kms.rewrapDataKey(old.wrapped, context, first);
        expect(moved.keyId).toBe(kms.keyId);
        expect(moved.wrapped.equals(old.wrapped)).toBe(false);
        expect((await kms.unwrapDataKey(moved.wrapped, context, moved.keyId)).equals(old.plaintext)).toBe(
          true,
        );
        await expectKeywardError(kms.rewrapDataKey(old.wrapped, "another", first), "DECRYPTION_FAILED");
        await expectKeywardError(
          kms.rewrapDataKey(flipBit(old.wrapped, 3), context, first),
          "DECRYPTION_FAILED",
        );
      });

      it("rewrapSecret() moves a sealed secret to the current version and it still opens", async () => {
        const kms = await create();
        const secret = Buffer.from("upstream credential", "utf8");
        const sealed = await sealSecret(kms, secret, context);
        expect(await rewrapSecret(kms, sealed, context)).toBe(sealed);
        await kms.createKeyVersion();
        const moved = await rewrapSecret(kms, sealed, context);
        expect(moved).toMatchObject({ v: 1, kid: kms.keyId, ct: sealed.ct });
        expect((await openSecret(kms, moved, context)).equals(secret)).toBe(true);
        expect((await openSecret(kms, sealed, context)).equals(secret)).toBe(true);
      });

      it("retires an old version for good, and refuses to retire the current one", async () => {
        const kms = await create();
        const first = kms.keyId;
        const old = await kms.generateDataKey(context);
        await kms.createKeyVersion();
        await expectKeywardError(kms.retireKeyVersion(kms.keyId), "CONFLICT");
        await kms.retireKeyVersion(first);
        expect((await kms.keyVersions()).map((v) => v.keyId)).toEqual([kms.keyId]);
        await expectKeywardError(kms.unwrapDataKey(old.wrapped, context, first), "DECRYPTION_FAILED");
      });
    });

    describe("sealSecret() and openSecret() through this Kms", () => {
      const secret = Buffer.from("a 32-byte pepper, or any secret!", "utf8");

      it("round-trip a secret, recording this Kms's keyId and never the plaintext", async () => {
        const kms = await create();
        const sealed = await sealSecret(kms, secret, context);
        expect(sealed).toMatchObject({ v: 1, kid: kms.keyId });
        expect(typeof sealed.dek).toBe("string");
        expect(typeof sealed.ct).toBe("string");
        const json = JSON.stringify(sealed);
        expect(json).not.toContain(secret.toString("utf8"));
        expect(json).not.toContain(secret.toString("base64"));
        expect(json).not.toContain(secret.toString("hex"));
        expect((await openSecret(kms, sealed, context)).equals(secret)).toBe(true);
        // A JSON round trip, as the store keeps it, opens too.
        const restored = JSON.parse(json) as SealedSecret;
        expect((await openSecret(kms, restored, context)).equals(secret)).toBe(true);
      });

      it("seal the same secret differently every time", async () => {
        const kms = await create();
        const a = await sealSecret(kms, secret, context);
        const b = await sealSecret(kms, secret, context);
        expect(a.ct).not.toBe(b.ct);
        expect(a.dek).not.toBe(b.dek);
      });

      it("openSecret() throws DECRYPTION_FAILED for another context", async () => {
        const kms = await create();
        const sealed = await sealSecret(kms, secret, context);
        await expectKeywardError(openSecret(kms, sealed, "webhook-secret"), "DECRYPTION_FAILED");
      });

      it("openSecret() throws DECRYPTION_FAILED when a bit of ct or dek is flipped", async () => {
        const kms = await create();
        const sealed = await sealSecret(kms, secret, context);
        const ct = Buffer.from(sealed.ct, "base64");
        const dek = Buffer.from(sealed.dek, "base64");
        for (const i of [0, Math.floor(ct.length / 2), ct.length - 1]) {
          const tampered = { ...sealed, ct: flipBit(ct, i).toString("base64") };
          await expectKeywardError(openSecret(kms, tampered, context), "DECRYPTION_FAILED");
        }
        const tamperedDek = { ...sealed, dek: flipBit(dek, dek.length - 1).toString("base64") };
        await expectKeywardError(openSecret(kms, tamperedDek, context), "DECRYPTION_FAILED");
        const truncated = { ...sealed, ct: ct.subarray(0, ct.length - 1).toString("base64") };
        await expectKeywardError(openSecret(kms, truncated, context), "DECRYPTION_FAILED");
      });

      it("openSecret() throws DECRYPTION_FAILED when the ct of one sealed secret is paired with another's dek", async () => {
        const kms = await create();
        const a = await sealSecret(kms, secret, context);
        const b = await sealSecret(kms, secret, context);
        await expectKeywardError(openSecret(kms, { ...a, dek: b.dek }, context), "DECRYPTION_FAILED");
      });

      it("openSecret() throws DECRYPTION_FAILED with a Kms holding another master key", async () => {
        const kms = await create();
        const other = await create();
        const sealed = await sealSecret(kms, secret, context);
        await expectKeywardError(openSecret(other, sealed, context), "DECRYPTION_FAILED");
      });

      it("openSecret() throws DECRYPTION_FAILED for an unknown format instead of guessing", async () => {
        const kms = await create();
        const sealed = await sealSecret(kms, secret, context);
        const unknownVersion = { ...sealed, v: 2 } as unknown as SealedSecret;
        await expectKeywardError(openSecret(kms, unknownVersion, context), "DECRYPTION_FAILED");
        const missingCt = { v: 1, kid: sealed.kid, dek: sealed.dek } as unknown as SealedSecret;
        await expectKeywardError(openSecret(kms, missingCt, context), "DECRYPTION_FAILED");
        await expectKeywardError(
          openSecret(kms, null as unknown as SealedSecret, context),
          "DECRYPTION_FAILED",
        );
      });
    });
  });
}
