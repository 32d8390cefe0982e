import { createHash, randomBytes } from "node:crypto";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { decryptAesGcm, encryptAesGcm } from "./aes-gcm.js";
import type { DataKey, Kms } from "./kms.js";

/** A {@link Kms} whose master key lives in this process (from `master.key` or `KEYWARD_MASTER_KEY`). */
export class LocalKms implements Kms {
  readonly keyId: string;
  readonly #masterKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32)
      throw new KeywardError("MASTER_KEY_INVALID", "The master key must be 32 bytes.");
    // Copy so a caller zeroing or reusing its buffer cannot change ours.
    this.#masterKey = Buffer.from(masterKey);
    // A fingerprint, not the key: the first 8 bytes of SHA-256 over a domain-separated input.
    this.keyId = `local:${createHash("sha256").update("keyward-kms-key-id\0").update(masterKey).digest("hex").slice(0, 16)}`;
  }

  async generateDataKey(context: string): Promise<DataKey> {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: encryptAesGcm(this.#masterKey, plaintext, `keyward-dek:${context}`) };
  }

  async unwrapDataKey(wrapped: Buffer, context: string): Promise<Buffer> {
    return decryptAesGcm(this.#masterKey, wrapped, `keyward-dek:${context}`);
  }
}
