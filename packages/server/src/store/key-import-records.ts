import type { KeyRecord } from "@keyward/core/key-record.js";
import type { EffectsFor, NewKey } from "./records.js";

/**
 * The `pepper_version` of a key imported by the SHA-256 of its plaintext (keys.migrateKeys): its digest is that
 * unpeppered SHA-256 until its first verification, when the plaintext is at hand and it is re-digested under the
 * current pepper.
 */
export const IMPORTED_PEPPER_VERSION = 0;

/** Keys imported in one request, written in one transaction. */
export interface KeyImportBatch {
  /** The migration the keys belong to (Unkey's `migrationId`); recorded once per project. */
  migrationId: string;
  projectId: string;
  nowMs: number;
  /** Each with its SHA-256 as `digest` and {@link IMPORTED_PEPPER_VERSION}. */
  keys: readonly NewKey[];
  /** The events and audit entries of each key that was imported, in the same transaction. */
  effectsFor?: EffectsFor<KeyRecord>;
}

/** What became of one key of a batch, in the batch's order: imported, or its digest is some key's already. */
export type KeyImportOutcome = "imported" | "duplicate";

/** Whether keys were ever imported, and whether some still wait for their first verification. */
export interface KeyImportStatus {
  /** At least one migration was recorded: plaintexts in another system's format may be keys. */
  migrations: boolean;
  /** Unrevoked, unexpired keys still stored under their SHA-256: a plaintext not found otherwise may be one. */
  pending: boolean;
}
