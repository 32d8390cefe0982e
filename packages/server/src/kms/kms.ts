/** A data key: the plaintext for immediate use, and the same key wrapped by the master key for storage. */
export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
}

/**
 * Holds the master key and never lets it out: it generates data keys and unwraps them again (envelope
 * encryption). `context` is bound as additional authenticated data, so a wrapped key only unwraps for the same
 * purpose it was made for.
 */
export interface Kms {
  /** Identifies the master key, so sealed data records which key can open it. */
  readonly keyId: string;
  /** Returns a fresh random 256-bit data key and its wrapped form. */
  generateDataKey(context: string): Promise<DataKey>;
  /** Unwraps a data key; throws DECRYPTION_FAILED when the key, context or bytes do not match. */
  unwrapDataKey(wrapped: Buffer, context: string): Promise<Buffer>;
}
