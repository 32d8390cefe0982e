/**
 * The AES-GCM contexts (additional data) that bind sealed values to their rows: a value copied onto another row
 * is opened with that row's context and fails to decrypt (DECRYPTION_FAILED) instead of yielding the wrong secret.
 */

/** The context of a vault secret's sealed value. */
export function secretValueContext(secretId: string): string {
  return `secret:${secretId}`;
}

/** The context of the sealed copy of a key of a project with recoverable keys. */
export function keyCopyContext(keyId: string): string {
  return `key:${keyId}`;
}

/** The context of an admin user's sealed TOTP secret (pending or confirmed). */
export function userTotpContext(userId: string): string {
  return `user-totp:${userId}`;
}
