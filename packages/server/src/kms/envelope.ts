import { KeywardError } from "@keyward/core/keyward-error.js";
import { decryptAesGcm, encryptAesGcm } from "./aes-gcm.js";
import type { Kms } from "./kms.js";

/** A secret sealed by envelope encryption: a data key wrapped by the KMS, and the payload under that data key. */
export interface SealedSecret {
  v: 1;
  /** The KMS key that wrapped the data key. */
  kid: string;
  /** The wrapped data key, base64. */
  dek: string;
  /** `iv || ciphertext || tag` of the payload under the data key, base64. */
  ct: string;
}

/** Encrypts `plaintext` under a fresh data key from `kms`; `context` binds it to one purpose (AAD). */
export async function sealSecret(kms: Kms, plaintext: Buffer, context: string): Promise<SealedSecret> {
  const dataKey = await kms.generateDataKey(context);
  try {
    const ct = encryptAesGcm(dataKey.plaintext, plaintext, `keyward-secret:${context}`);
    return { v: 1, kid: kms.keyId, dek: dataKey.wrapped.toString("base64"), ct: ct.toString("base64") };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/** Decrypts a sealed secret; throws DECRYPTION_FAILED when anything (key, context, bytes) does not match. */
export async function openSecret(kms: Kms, sealed: SealedSecret, context: string): Promise<Buffer> {
  if (sealed?.v !== 1 || typeof sealed.dek !== "string" || typeof sealed.ct !== "string") {
    throw new KeywardError("DECRYPTION_FAILED", "The sealed secret has an unknown format.");
  }
  const dataKey = await kms.unwrapDataKey(Buffer.from(sealed.dek, "base64"), context);
  try {
    return decryptAesGcm(dataKey, Buffer.from(sealed.ct, "base64"), `keyward-secret:${context}`);
  } finally {
    dataKey.fill(0);
  }
}
