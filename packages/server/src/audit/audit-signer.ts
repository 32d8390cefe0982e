import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from "node:crypto";
import {
  type AuditCheckpoint,
  type AuditCheckpointContent,
  checkpointSigningInput,
} from "@keyward/core/audit-chain.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { openSecret, type SealedSecret, sealSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import { AUDIT_SIGNING_KEY_SETTING, type AuditStore } from "../store/audit-store.js";

/** A checkpoint signing key's public half, to verify checkpoints anywhere (exported with them). */
export interface AuditPublicKey {
  keyId: string;
  /** SPKI PEM. */
  publicKey: string;
}

/**
 * Signs audit checkpoints with an Ed25519 key that is kept sealed by the `Kms` (envelope encryption bound to its
 * purpose) and opened in memory only while Keyward runs, and seals each entry with an HMAC under a key derived
 * from it. The first node to need it makes it; every node uses the one stored first.
 */
export class AuditSigner {
  readonly #privateKey: KeyObject;
  readonly #sealKey: Buffer;
  readonly publicKey: AuditPublicKey;

  private constructor(privateKey: KeyObject, sealKey: Buffer) {
    this.#privateKey = privateKey;
    this.#sealKey = sealKey;
    this.publicKey = publicKeyOf(createPublicKey(privateKey));
  }

  /** The seal of an entry: HMAC-SHA256 of its hash under a key derived from the signing key (hex). */
  sealOf(hash: string): string {
    return createHmac("sha256", this.#sealKey).update(hash, "utf8").digest("hex");
  }

  /** Whether an entry carries the seal of its hash (constant time). */
  isSealed(entry: { hash: string; mac?: string | null }): boolean {
    if (typeof entry.mac !== "string" || entry.mac.length !== 64) return false;
    return timingSafeEqual(Buffer.from(entry.mac, "utf8"), Buffer.from(this.sealOf(entry.hash), "utf8"));
  }

  /** Opens the stored signing key, or makes, seals and stores one when there is none yet. */
  static async open(options: { store: AuditStore; kms: Kms; nowMs: number }): Promise<AuditSigner> {
    const { store, kms } = options;
    let sealed = await store.readAuditSigningKey();
    if (sealed === null) {
      const { privateKey } = generateKeyPairSync("ed25519");
      const der = privateKey.export({ format: "der", type: "pkcs8" });
      try {
        const candidate = JSON.stringify(await sealSecret(kms, der, AUDIT_SIGNING_KEY_SETTING));
        sealed = await store.claimAuditSigningKey(candidate, options.nowMs);
      } finally {
        der.fill(0);
      }
    }
    let parsed: SealedSecret;
    try {
      parsed = JSON.parse(sealed) as SealedSecret;
    } catch (error) {
      throw new KeywardError("DECRYPTION_FAILED", "The stored audit signing key is not readable.", {
        cause: error,
      });
    }
    const der = await openSecret(kms, parsed, AUDIT_SIGNING_KEY_SETTING);
    try {
      // One secret behind both: the seal key is derived, so it needs no storage or claim of its own.
      const sealKey = Buffer.from(
        hkdfSync("sha256", der, Buffer.alloc(0), "keyward audit entry seal v1", 32),
      );
      return new AuditSigner(createPrivateKey({ key: der, format: "der", type: "pkcs8" }), sealKey);
    } finally {
      der.fill(0);
    }
  }

  /** Signs "the chain up to `seq` ends in `hash`". */
  sign(content: Omit<AuditCheckpointContent, "keyId">): AuditCheckpoint {
    const withKey: AuditCheckpointContent = { ...content, keyId: this.publicKey.keyId };
    const signature = sign(null, checkpointSigningInput(withKey), this.#privateKey).toString("base64");
    return { ...withKey, signature };
  }
}

/** The key id of a public key: the first 16 hex digits of the SHA-256 of its SPKI encoding. */
export function publicKeyOf(key: KeyObject): AuditPublicKey {
  const spki = key.export({ format: "der", type: "spki" });
  return {
    keyId: `ed25519:${createHash("sha256").update(spki).digest("hex").slice(0, 16)}`,
    publicKey: key.export({ format: "pem", type: "spki" }).toString(),
  };
}

/**
 * Checks checkpoint signatures against a set of public keys: a checkpoint verifies when the key its `keyId` names
 * is in the set and the signature matches. Unknown key ids, malformed keys and malformed signatures are false.
 */
export function checkpointVerifier(publicKeys: readonly AuditPublicKey[]): (c: AuditCheckpoint) => boolean {
  const keys = new Map<string, KeyObject>();
  for (const entry of publicKeys) {
    try {
      const key = createPublicKey(entry.publicKey);
      // The id must be the key's own: a file cannot pair a genuine id with an attacker's key.
      if (key.asymmetricKeyType === "ed25519" && publicKeyOf(key).keyId === entry.keyId)
        keys.set(entry.keyId, key);
    } catch {
      // An unreadable key verifies nothing.
    }
  }
  return (checkpoint) => {
    const key = keys.get(checkpoint.keyId);
    if (key === undefined || typeof checkpoint.signature !== "string") return false;
    try {
      return verify(
        null,
        checkpointSigningInput(checkpoint),
        key,
        Buffer.from(checkpoint.signature, "base64"),
      );
    } catch {
      return false;
    }
  };
}
