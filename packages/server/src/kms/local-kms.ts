import { createHash, randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { decryptAesGcm, encryptAesGcm } from "./aes-gcm.js";
import type { DataKey, Kms, KmsKeyVersion, RewrappedDataKey } from "./kms.js";
import { readMasterKeyring, writeMasterKeyring } from "./master-key.js";

/** Where a {@link LocalKms}'s keys come from when they live in a keyring file it may change. */
export interface LocalKmsOptions {
  /**
   * The keyring file (`master.key`) the keys were read from: new versions are added to it and retired ones removed,
   * and the file is read again when it changed (another process rotated), so every process sharing it follows.
   */
  file?: string;
}

/** The id of a master key: a fingerprint, not the key (8 bytes of SHA-256 over a domain-separated input). */
export function localKeyId(masterKey: Buffer): string {
  return `local:${createHash("sha256").update("keyward-kms-key-id\0").update(masterKey).digest("hex").slice(0, 16)}`;
}

/**
 * A {@link Kms} whose master key versions live in this process: from the `master.key` keyring file (oldest first,
 * the last current) or from `KEYWARD_MASTER_KEY` (`old,new`). Only a file-backed one makes and retires versions.
 */
export class LocalKms implements Kms {
  readonly #file: string | undefined;
  /** Oldest first; the last is current. */
  #keys: { keyId: string; key: Buffer }[] = [];
  #fileChangedAt = 0;

  constructor(masterKeys: Buffer | readonly Buffer[], options: LocalKmsOptions = {}) {
    this.#file = options.file;
    this.#useKeys(Buffer.isBuffer(masterKeys) ? [masterKeys] : masterKeys);
    if (this.#file !== undefined) this.#fileChangedAt = statSync(this.#file).mtimeMs;
  }

  get keyId(): string {
    return this.#current().keyId;
  }

  async generateDataKey(context: string): Promise<DataKey> {
    this.#followFile();
    const current = this.#current();
    const plaintext = randomBytes(32);
    return {
      plaintext,
      wrapped: encryptAesGcm(current.key, plaintext, `keyward-dek:${context}`),
      keyId: current.keyId,
    };
  }

  async unwrapDataKey(wrapped: Buffer, context: string, keyId?: string): Promise<Buffer> {
    return decryptAesGcm(this.#version(keyId).key, wrapped, `keyward-dek:${context}`);
  }

  async rewrapDataKey(wrapped: Buffer, context: string, keyId: string): Promise<RewrappedDataKey> {
    this.#followFile();
    const plaintext = await this.unwrapDataKey(wrapped, context, keyId);
    try {
      const current = this.#current();
      return {
        wrapped: encryptAesGcm(current.key, plaintext, `keyward-dek:${context}`),
        keyId: current.keyId,
      };
    } finally {
      plaintext.fill(0);
    }
  }

  async keyVersions(): Promise<KmsKeyVersion[]> {
    this.#followFile();
    const current = this.#current().keyId;
    return this.#keys.map(({ keyId }) => ({ keyId, current: keyId === current }));
  }

  async createKeyVersion(): Promise<string> {
    const file = this.#requireFile("make a new master key version");
    const keys = readMasterKeyring(file);
    keys.push(randomBytes(32));
    writeMasterKeyring(file, keys);
    this.#reload(file);
    return this.#current().keyId;
  }

  async retireKeyVersion(keyId: string): Promise<void> {
    const file = this.#requireFile("retire a master key version");
    this.#followFile();
    if (keyId === this.#current().keyId) {
      throw new KeywardError("CONFLICT", "The current master key version cannot be retired.");
    }
    const keys = readMasterKeyring(file);
    const kept = keys.filter((key) => localKeyId(key) !== keyId);
    if (kept.length === keys.length) throw new KeywardError("NOT_FOUND", `No master key version ${keyId}.`);
    writeMasterKeyring(file, kept);
    this.#reload(file);
  }

  #useKeys(keys: readonly Buffer[]): void {
    if (keys.length === 0) throw new KeywardError("MASTER_KEY_INVALID", "At least one master key is needed.");
    for (const key of keys) {
      if (key.length !== 32) throw new KeywardError("MASTER_KEY_INVALID", "The master key must be 32 bytes.");
    }
    // Copies, so a caller zeroing or reusing its buffers cannot change ours.
    this.#keys = keys.map((key) => ({ keyId: localKeyId(key), key: Buffer.from(key) }));
  }

  #current(): { keyId: string; key: Buffer } {
    return this.#keys[this.#keys.length - 1] as { keyId: string; key: Buffer };
  }

  #version(keyId: string | undefined): { keyId: string; key: Buffer } {
    if (keyId === undefined) return this.#current();
    let found = this.#keys.find((k) => k.keyId === keyId);
    if (found === undefined && this.#followFile()) found = this.#keys.find((k) => k.keyId === keyId);
    if (found === undefined) {
      throw new KeywardError(
        "DECRYPTION_FAILED",
        `The data was sealed under master key version ${keyId}, which this Keyward does not hold.`,
      );
    }
    return found;
  }

  /** Reads the keyring file again if it changed since it was last read; true when it did. */
  #followFile(): boolean {
    if (this.#file === undefined) return false;
    const changedAt = statSync(this.#file, { throwIfNoEntry: false })?.mtimeMs;
    if (changedAt === undefined || changedAt === this.#fileChangedAt) return false;
    this.#reload(this.#file);
    return true;
  }

  #reload(file: string): void {
    this.#fileChangedAt = statSync(file).mtimeMs;
    this.#useKeys(readMasterKeyring(file));
  }

  #requireFile(action: string): string {
    if (this.#file === undefined) {
      throw new KeywardError(
        "CONFLICT",
        `The master keys come from KEYWARD_MASTER_KEY, so Keyward cannot ${action}: list the versions there instead (oldest first, comma-separated, the last one current) on every node.`,
      );
    }
    return this.#file;
  }
}
