import type { CreateKeyInput } from "./key-service.js";

/** Most keys one import request may carry. */
export const MAX_IMPORTED_KEYS = 1000;
/** A migration id: 1-128 characters of A-Z a-z 0-9 _ . : - (Unkey gives ids like `your_company`). */
export const MIGRATION_ID_PATTERN = "^[A-Za-z0-9_.:-]{1,128}$";

/** One key to import: the SHA-256 of its plaintext and the fields createKey takes (the project is the batch's). */
export interface ImportKeyInput extends Omit<CreateKeyInput, "projectId" | "canary"> {
  /** SHA-256 of the plaintext: 64 hex digits, or base64/base64url (43 characters, 44 with `=`). */
  hash: string;
}

/** An import request: keys from another system, into one project, under one migration id. */
export interface ImportKeysInput {
  projectId: string;
  migrationId: string;
  keys: readonly ImportKeyInput[];
}

/** What an import did with each key: imported (with its new id) or failed (with why), hashes as given. */
export interface ImportKeysResult {
  migrated: Array<{ hash: string; keyId: string }>;
  failed: Array<{ hash: string; reason: string }>;
}
