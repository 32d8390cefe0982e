import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts with AES-256-GCM under a fresh 96-bit IV; the output is `iv || ciphertext || tag`. */
export function encryptAesGcm(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

/** Decrypts `iv || ciphertext || tag`; throws DECRYPTION_FAILED (never the OpenSSL message) when it does not authenticate. */
export function decryptAesGcm(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new KeywardError("DECRYPTION_FAILED");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (cause) {
    throw new KeywardError("DECRYPTION_FAILED", undefined, { cause });
  }
}
