import type { Handle } from "pkcs11js";
import { afterAll, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import {
  createSoftHsm,
  SOFTHSM_MODULE,
  type SoftHsmToken,
  softHsmAvailable,
} from "../../test/support/softhsm.js";
import { openSecret, sealSecret } from "./envelope.js";
import { describeKmsConformance } from "./kms.conformance.js";
import { Pkcs11Kms, type Pkcs11KmsOptions } from "./pkcs11-kms.js";
import { acquirePkcs11Library, type Pkcs11Library } from "./pkcs11-library.js";

const available = await softHsmAvailable();
const hsm = available ? createSoftHsm() : null;
// SoftHSM2 reads SOFTHSM2_CONF and lists its tokens when this process first initializes it: both come first.
const token: SoftHsmToken = hsm?.initToken("keyward-test") ?? { label: "", pin: "" };
const otherToken: SoftHsmToken = hsm?.initToken("keyward-other") ?? { label: "", pin: "" };
if (hsm !== null) process.env.SOFTHSM2_CONF = hsm.conf;

const opened: Pkcs11Kms[] = [];
let labels = 0;

function options(overrides: Partial<Pkcs11KmsOptions> = {}): Pkcs11KmsOptions {
  return {
    modulePath: SOFTHSM_MODULE,
    token: { label: token.label },
    pin: token.pin,
    keyLabel: `keyward-master-${++labels}`,
    ...overrides,
  };
}

/** A Pkcs11Kms with a master key of its own (a new key label in the shared test token). */
function openKms(overrides: Partial<Pkcs11KmsOptions> = {}): Pkcs11Kms {
  const kms = Pkcs11Kms.open(options(overrides));
  opened.push(kms);
  return kms;
}

/** A session of the test's own with the token, to look at the key objects the way an auditor of the HSM would. */
function inspectToken(): { library: Pkcs11Library; session: Handle; slot: Handle; close(): void } {
  const library = acquirePkcs11Library(SOFTHSM_MODULE);
  const { pkcs11, binding } = library;
  const slot = pkcs11
    .C_GetSlotList(true)
    .find((s) => pkcs11.C_GetTokenInfo(s).label.trim() === token.label) as Handle;
  const session = pkcs11.C_OpenSession(slot, binding.CKF_SERIAL_SESSION | binding.CKF_RW_SESSION);
  try {
    pkcs11.C_Login(session, binding.CKU_USER, token.pin);
  } catch (error) {
    if ((error as { code?: number }).code !== binding.CKR_USER_ALREADY_LOGGED_IN) throw error;
  }
  return {
    library,
    session,
    slot,
    close() {
      pkcs11.C_CloseSession(session);
      library.release();
    },
  };
}

function keyObjects(library: Pkcs11Library, session: Handle, keyLabel: string): Handle[] {
  const { pkcs11, binding } = library;
  pkcs11.C_FindObjectsInit(session, [
    { type: binding.CKA_CLASS, value: binding.CKO_SECRET_KEY },
    { type: binding.CKA_LABEL, value: keyLabel },
  ]);
  try {
    return pkcs11.C_FindObjects(session, 100);
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

function returnValueOfCall(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    return /^CKR_[A-Z_]+/.exec((error as Error).message)?.[0] ?? String(error);
  }
  return "CKR_OK";
}

afterAll(() => {
  for (const kms of opened) kms.close();
  hsm?.remove();
});

describe.skipIf(!available)("Pkcs11Kms against SoftHSM2", () => {
  describeKmsConformance("Pkcs11Kms (SoftHSM2)", async () => openKms());

  describe("the master key never exists in this process", () => {
    it("generates every version inside the token: sensitive, never extractable, usable only to encrypt and decrypt", async () => {
      const kms = openKms();
      await kms.createKeyVersion();
      const keyLabel = kms.keyId.split("/")[1] as string;
      const hsmView = inspectToken();
      try {
        const { pkcs11, binding } = hsmView.library;
        const handles = keyObjects(hsmView.library, hsmView.session, keyLabel);
        expect(handles).toHaveLength(2);
        const asked = [
          ["CKA_TOKEN", true],
          ["CKA_PRIVATE", true],
          ["CKA_SENSITIVE", true],
          ["CKA_ALWAYS_SENSITIVE", true],
          ["CKA_EXTRACTABLE", false],
          ["CKA_NEVER_EXTRACTABLE", true],
          ["CKA_MODIFIABLE", false],
          ["CKA_ENCRYPT", true],
          ["CKA_DECRYPT", true],
          ["CKA_WRAP", false],
          ["CKA_UNWRAP", false],
          ["CKA_DERIVE", false],
        ] as const;
        for (const handle of handles) {
          const values = pkcs11.C_GetAttributeValue(
            hsmView.session,
            handle,
            asked.map(([name]) => ({ type: binding[name] })),
          );
          const seen = Object.fromEntries(asked.map(([name], i) => [name, values[i]?.value?.[0] === 1]));
          expect(seen).toEqual(Object.fromEntries(asked));
          const [keyType, length] = pkcs11.C_GetAttributeValue(hsmView.session, handle, [
            { type: binding.CKA_KEY_TYPE },
            { type: binding.CKA_VALUE_LEN },
          ]);
          expect(keyType?.value?.readUInt32LE(0)).toBe(binding.CKK_AES);
          expect(length?.value?.readUInt32LE(0)).toBe(32);
        }
      } finally {
        hsmView.close();
      }
    });

    it("cannot be had from the token: CKA_VALUE is refused, C_WrapKey is refused, the attributes cannot be relaxed", async () => {
      const kms = openKms();
      const keyLabel = kms.keyId.split("/")[1] as string;
      const hsmView = inspectToken();
      try {
        const { pkcs11, binding } = hsmView.library;
        const { session } = hsmView;
        const [master] = keyObjects(hsmView.library, session, keyLabel) as [Handle];
        expect(
          returnValueOfCall(() => pkcs11.C_GetAttributeValue(session, master, [{ type: binding.CKA_VALUE }])),
        ).toBe("CKR_ATTRIBUTE_SENSITIVE");

        // A session key that may wrap, and an extractable key it does wrap: the refusal is the master key's own.
        const wrappingKey = pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
          { type: binding.CKA_VALUE_LEN, value: 32 },
          { type: binding.CKA_TOKEN, value: false },
          { type: binding.CKA_WRAP, value: true },
        ]);
        const extractable = pkcs11.C_GenerateKey(session, { mechanism: binding.CKM_AES_KEY_GEN }, [
          { type: binding.CKA_VALUE_LEN, value: 32 },
          { type: binding.CKA_TOKEN, value: false },
          { type: binding.CKA_EXTRACTABLE, value: true },
        ]);
        const wrap = (key: Handle) => () =>
          pkcs11.C_WrapKey(
            session,
            { mechanism: binding.CKM_AES_KEY_WRAP_PAD },
            wrappingKey,
            key,
            Buffer.alloc(64),
          );
        expect(returnValueOfCall(wrap(extractable))).toBe("CKR_OK");
        expect(returnValueOfCall(wrap(master))).toBe("CKR_KEY_UNEXTRACTABLE");

        for (const relaxed of [
          { type: binding.CKA_EXTRACTABLE, value: true },
          { type: binding.CKA_SENSITIVE, value: false },
        ]) {
          expect(returnValueOfCall(() => pkcs11.C_SetAttributeValue(session, master, [relaxed]))).not.toBe(
            "CKR_OK",
          );
        }
        // Still the same key, still working.
        const dataKey = await kms.generateDataKey("pepper");
        expect((await kms.unwrapDataKey(dataKey.wrapped, "pepper")).equals(dataKey.plaintext)).toBe(true);
      } finally {
        hsmView.close();
      }
    });
  });

  describe("versions in the token", () => {
    it("names each version by token, key label and number", async () => {
      const kms = openKms({ keyLabel: "named-key" });
      expect(kms.keyId).toBe(`pkcs11:${token.label}/named-key/v1`);
      expect(await kms.createKeyVersion()).toBe(`pkcs11:${token.label}/named-key/v2`);
    });

    it("lets every process with the same token and label share the versions, and follow a new or retired one", async () => {
      const a = openKms();
      const keyLabel = a.keyId.split("/")[1] as string;
      const b = openKms({ keyLabel });
      expect(b.keyId).toBe(a.keyId);
      const sealed = await sealSecret(a, Buffer.from("shared"), "pepper");
      expect((await openSecret(b, sealed, "pepper")).toString()).toBe("shared");

      const second = await a.createKeyVersion();
      const fresh = await b.generateDataKey("pepper");
      expect(fresh.keyId).toBe(second);
      expect(b.keyId).toBe(second);
      expect((await a.unwrapDataKey(fresh.wrapped, "pepper", second)).equals(fresh.plaintext)).toBe(true);

      await b.retireKeyVersion(sealed.kid);
      await expectKeywardError(openSecret(a, sealed, "pepper"), "DECRYPTION_FAILED");
      expect(await a.keyVersions()).toEqual([{ keyId: second, current: true }]);
    });

    it("throws NOT_FOUND when retiring a version that does not exist", async () => {
      const kms = openKms();
      await kms.createKeyVersion();
      await expectKeywardError(kms.retireKeyVersion(`${kms.keyId.slice(0, -1)}9`), "NOT_FOUND");
    });

    it("takes neither another application's key nor a planted extractable one under its label for a version", async () => {
      const kms = openKms();
      const keyLabel = kms.keyId.split("/")[1] as string;
      const hsmView = inspectToken();
      try {
        const { pkcs11, binding } = hsmView.library;
        const plant = (id: Buffer, extractable: boolean) =>
          pkcs11.C_GenerateKey(hsmView.session, { mechanism: binding.CKM_AES_KEY_GEN }, [
            { type: binding.CKA_VALUE_LEN, value: 32 },
            { type: binding.CKA_TOKEN, value: true },
            { type: binding.CKA_SENSITIVE, value: !extractable },
            { type: binding.CKA_EXTRACTABLE, value: extractable },
            { type: binding.CKA_LABEL, value: keyLabel },
            { type: binding.CKA_ID, value: id },
          ]);
        // Shaped like a version 9 of ours, but extractable: it must never become current.
        const version9 = Buffer.concat([Buffer.from("keyward:"), Buffer.from([0, 0, 0, 9]), Buffer.alloc(8)]);
        plant(version9, true);
        plant(Buffer.from("someone else"), false);
      } finally {
        hsmView.close();
      }
      expect(await kms.keyVersions()).toEqual([{ keyId: kms.keyId, current: true }]);
      expect((await kms.generateDataKey("pepper")).keyId).toMatch(/\/v1$/);
      expect(await kms.createKeyVersion()).toMatch(/\/v2$/);
    });
  });

  describe("sessions and failures", () => {
    it("opens a new session and logs in again by itself when the token dropped them", async () => {
      const kms = openKms();
      const before = await kms.generateDataKey("pepper");
      const hsmView = inspectToken();
      // Closes every session this process has with the token, the Kms's included, and so logs it out.
      hsmView.library.pkcs11.C_CloseAllSessions(hsmView.slot);
      hsmView.library.release();
      expect((await kms.unwrapDataKey(before.wrapped, "pepper")).equals(before.plaintext)).toBe(true);
      const after = await kms.generateDataKey("pepper");
      expect((await kms.unwrapDataKey(after.wrapped, "pepper")).equals(after.plaintext)).toBe(true);
    });

    it("throws KMS_UNAVAILABLE, not retryable and without the PIN, when the token refuses the PIN", async () => {
      const wrongPin = "0000-not-the-pin";
      const error = await expectKeywardError(
        async () => openKms({ token: { label: otherToken.label }, pin: wrongPin }),
        "KMS_UNAVAILABLE",
      );
      expect(error.message).toContain("CKR_PIN_INCORRECT");
      expect(error.message).not.toContain(wrongPin);
      expect(error.retryable).toBe(false);
    });

    it("throws KMS_UNAVAILABLE for an unknown token label or slot, and a module that cannot be loaded", async () => {
      const unknown = await expectKeywardError(
        async () => openKms({ token: { label: "no-such-token" } }),
        "KMS_UNAVAILABLE",
      );
      expect(unknown.message).toContain('no token labelled "no-such-token"');
      await expectKeywardError(async () => openKms({ token: { slot: 4_000_000_000 } }), "KMS_UNAVAILABLE");
      await expectKeywardError(
        async () => openKms({ modulePath: "/nonexistent/libpkcs11.so" }),
        "KMS_UNAVAILABLE",
      );
    });

    it("finds the token by slot id as well as by label", async () => {
      const hsmView = inspectToken();
      const slot = Number(hsmView.slot.readBigUInt64LE(0));
      hsmView.close();
      const kms = openKms({ token: { slot } });
      expect(kms.keyId.startsWith(`pkcs11:${token.label}/`)).toBe(true);
    });

    it("refuses every call with KMS_UNAVAILABLE once closed", async () => {
      const kms = Pkcs11Kms.open(options());
      const { wrapped } = await kms.generateDataKey("pepper");
      kms.close();
      kms.close();
      await expectKeywardError(kms.unwrapDataKey(wrapped, "pepper"), "KMS_UNAVAILABLE");
      await expectKeywardError(kms.generateDataKey("pepper"), "KMS_UNAVAILABLE");
    });
  });
});
