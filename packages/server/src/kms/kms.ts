/**
 * A data key: the plaintext for immediate use, the same key wrapped by the master key for storage, and the id of
 * the master key version that wrapped it (recorded beside the wrapped key, to unwrap it again).
 */
export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  keyId: string;
}

/** A data key wrapped again under the current master key version. */
export interface RewrappedDataKey {
  wrapped: Buffer;
  keyId: string;
}

/** One version of the master key. */
export interface KmsKeyVersion {
  keyId: string;
  /** New data keys are wrapped under the current version; the others only unwrap. */
  current: boolean;
}

/**
 * Holds the master key and never lets it out: it generates data keys and unwraps them again (envelope
 * encryption). `context` is bound as additional authenticated data, so a wrapped key only unwraps for the same
 * purpose it was made for. The master key has versions: a new one becomes current, data keys wrapped under older
 * ones still unwrap (naming their version) until those are retired, and `rewrapDataKey` moves one to the current.
 */
export interface Kms {
  /** The current master key version: new data keys are wrapped under it. */
  readonly keyId: string;
  /** Returns a fresh random 256-bit data key wrapped under the current version. */
  generateDataKey(context: string): Promise<DataKey>;
  /**
   * Unwraps a data key wrapped under the version `keyId` (the current one when absent); throws DECRYPTION_FAILED
   * when the key, context or bytes do not match, or when this Kms does not hold that version.
   */
  unwrapDataKey(wrapped: Buffer, context: string, keyId?: string): Promise<Buffer>;
  /** Wraps a data key wrapped under version `keyId` again under the current version (same context). */
  rewrapDataKey(wrapped: Buffer, context: string, keyId: string): Promise<RewrappedDataKey>;
  /** The versions this Kms holds, oldest first; exactly one is current. */
  keyVersions(): Promise<KmsKeyVersion[]>;
  /**
   * Makes a new master key version and makes it current; returns its id. CONFLICT when the keys come from outside
   * Keyward (an environment variable) and a new one must be provided there instead.
   */
  createKeyVersion(): Promise<string>;
  /** Forgets a version, for good; CONFLICT for the current one. Only once no sealed value uses it. */
  retireKeyVersion(keyId: string): Promise<void>;
}
