import type { KeyRecord } from "@keyward/core/key-record.js";

/** A project groups keys and gives them their prefix. Times are epoch milliseconds. */
export interface ProjectRecord {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: number;
}

/** An admin API token as the API shows it: never the digest, never the token. */
export interface TokenRecord {
  id: string;
  name: string;
  permissions: string[];
  /** Projects the token is limited to, or null for every project. */
  projectIds: string[] | null;
  start: string;
  /** The token that created this one, or null for the root token made at init. */
  createdBy: string | null;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** A key or token record together with its stored digest, for the constant-time comparison after lookup. */
export interface WithDigest<T> {
  record: T;
  digest: Buffer;
}

/** A new key to insert: its record and the HMAC digest of the plaintext (the plaintext itself is never stored). */
export type NewKey = WithDigest<KeyRecord>;

/** A new token to insert. */
export type NewToken = WithDigest<TokenRecord>;

/** The fields of a key that an update may change; absent fields stay as they are. */
export interface KeyPatch {
  name?: string | null;
  ownerId?: string | null;
  scopes?: string[];
  meta?: Record<string, unknown>;
  expiresAt?: number | null;
  enabled?: boolean;
}

/** Filters and paging for listing keys; `after` is the last id of the previous page. */
export interface KeyQuery {
  /** Only keys of these projects; null for every project. */
  projectIds: readonly string[] | null;
  ownerId?: string;
  limit: number;
  after?: string;
}

/** Paging for plain lists. */
export interface PageQuery {
  limit: number;
  after?: string;
}

/** Usage gathered in memory and written in one batch: the latest use and how many uses since the last batch. */
export interface UsageEntry {
  id: string;
  lastUsedAt: number;
  count: number;
}

/** Everything a fresh instance needs, written atomically by {@link KeyStore.bootstrap}. */
export interface BootstrapSeed {
  /** The server pepper sealed by the KMS, serialized as JSON. */
  sealedPepper: string;
  defaultProject: ProjectRecord;
  rootToken: NewToken;
}
