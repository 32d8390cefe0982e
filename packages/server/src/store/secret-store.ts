import type { ChangeEffect, EffectsFor } from "./records.js";

/** A vault secret as the API shows it: metadata only, never its value. Times are epoch milliseconds. */
export interface SecretRecord {
  id: string;
  projectId: string;
  /** Unique within its project. */
  name: string;
  createdAt: number;
  /** When the value was last set (creation or update). */
  updatedAt: number;
  /** The admin token that created it, or null when Keyward did. */
  createdBy: string | null;
  lastRevealedAt: number | null;
}

/** A new secret and its value sealed by the KMS (serialized JSON, context `secret:<id>`). */
export interface NewSecret {
  record: SecretRecord;
  sealedValue: string;
}

/** A secret together with its sealed value, read only on the way to revealing it. */
export interface SealedSecretRecord {
  record: SecretRecord;
  sealedValue: string;
}

/** Filters and paging for listing secrets; `after` is the last id of the previous page. */
export interface SecretQuery {
  /** Only secrets of these projects; null for every project. */
  projectIds: readonly string[] | null;
  limit: number;
  after?: string;
}

/**
 * Where the sealed values Keyward must be able to read back live: vault secrets, and the copies of keys of
 * projects with recoverable keys (written by the key store when it inserts such a key). Only sealed values ever
 * reach it. Changes write their effects (audit entries) in their own transaction; a name used twice in one project
 * is a CONFLICT. Every implementation passes `secret-store.conformance.ts`.
 */
export interface SecretStore {
  createSecret(secret: NewSecret, effects?: readonly ChangeEffect[]): Promise<void>;
  findSecret(id: string): Promise<SecretRecord | null>;
  /** Secrets in id order (creation order), at most `limit`. */
  listSecrets(query: SecretQuery): Promise<SecretRecord[]>;
  /** Replaces the sealed value; null (and no effects) when no secret has that id. */
  updateSecretValue(
    id: string,
    sealedValue: string,
    nowMs: number,
    effectsFor?: EffectsFor<SecretRecord>,
  ): Promise<SecretRecord | null>;
  /** Deletes the secret; false (and no effects written) when no secret has that id. */
  deleteSecret(id: string, effects?: readonly ChangeEffect[]): Promise<boolean>;
  /** The secret with its sealed value, or null. */
  readSealedSecret(id: string): Promise<SealedSecretRecord | null>;
  /**
   * Sets `lastRevealedAt` and writes the reveal's effects in one transaction; null (and no effects) when no secret
   * has that id.
   */
  markSecretRevealed(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<SecretRecord>,
  ): Promise<SecretRecord | null>;

  /** The sealed copy of a key, or null when its project kept none (or no key has that id). */
  readKeyCopy(keyId: string): Promise<string | null>;
  /** Records that a key's copy was revealed, with the reveal's effects; false (no effects) when it has none. */
  markKeyCopyRevealed(keyId: string, nowMs: number, effects?: readonly ChangeEffect[]): Promise<boolean>;
}
