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
    return { v: 1, kid: dataKey.keyId, dek: dataKey.wrapped.toString("base64"), ct: ct.toString("base64") };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/** Decrypts a sealed secret; throws DECRYPTION_FAILED when anything (key, context, bytes) does not match. */
export async function openSecret(kms: Kms, sealed: SealedSecret, context: string): Promise<Buffer> {
  if (sealed?.v !== 1 || typeof sealed.dek !== "string" || typeof sealed.ct !== "string") {
    throw new KeywardError("DECRYPTION_FAILED", "The sealed secret has an unknown format.");
  }
  const dataKey = await kms.unwrapDataKey(Buffer.from(sealed.dek, "base64"), context, sealed.kid);
  try {
    return decryptAesGcm(dataKey, Buffer.from(sealed.ct, "base64"), `keyward-secret:${context}`);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * The same secret with its data key wrapped again under the KMS's current master key version: only `kid` and
 * `dek` change, the payload is untouched (so nothing about the secret itself passes through this process).
 * Returns the sealed secret unchanged when it already is under the current version.
 */
export async function rewrapSecret(kms: Kms, sealed: SealedSecret, context: string): Promise<SealedSecret> {
  if (sealed?.v !== 1 || typeof sealed.dek !== "string" || typeof sealed.kid !== "string") {
    throw new KeywardError("DECRYPTION_FAILED", "The sealed secret has an unknown format.");
  }
  if (sealed.kid === kms.keyId) return sealed;
  const rewrapped = await kms.rewrapDataKey(Buffer.from(sealed.dek, "base64"), context, sealed.kid);
  return { ...sealed, kid: rewrapped.keyId, dek: rewrapped.wrapped.toString("base64") };
}
