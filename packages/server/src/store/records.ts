import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import type { KeyPolicySettings } from "@keyward/core/key-policies.js";
import type { KeyQuota, KeyRecord, RateLimitRule } from "@keyward/core/key-record.js";

/** A project groups keys, gives them their prefix and holds their lifecycle policies. Times are epoch ms. */
export interface ProjectRecord {
  id: string;
  name: string;
  keyPrefix: string;
  /** Lifecycle policies as ISO 8601 durations; `{}` when the project has none. */
  policies: KeyPolicySettings;
  /** Default IP allowlist of the project's keys (a key's own list replaces it), or null for none. */
  ipAllowlist: string[] | null;
  /** IANA time zone in which quota refills happen ("UTC" by default). */
  timezone: string;
  /** Whether new keys of the project keep a sealed copy an admin with `keys:reveal` can read back (off by default). */
  recoverableKeys: boolean;
  /** Whether its users must have two-factor authentication: without it, their roles here grant nothing. */
  require2fa: boolean;
  createdAt: number;
}

/** The fields of a project an update may change; absent fields stay as they are. */
export interface ProjectPatch {
  name?: string;
  policies?: KeyPolicySettings;
  ipAllowlist?: string[] | null;
  timezone?: string;
  /** Turning it off also deletes the copies already kept, in the same transaction. */
  recoverableKeys?: boolean;
  require2fa?: boolean;
}

/**
 * Something that happened, written to the event outbox in the same transaction as the change that caused it.
 * `payload` is the JSON body webhooks receive; it never holds key material.
 */
export interface NewEvent {
  id: string;
  projectId: string;
  type: string;
  keyId: string | null;
  payload: string;
  createdAt: number;
}

/**
 * What a change writes besides itself, in its own transaction: events for the webhooks, entries for the audit log
 * (the store chains them: seq and hashes are its business).
 */
export type ChangeEffect = NewEvent | AuditEntryContent;

/** Builds the effects of a change from the record the change produced, inside the change's transaction. */
export type EffectsFor<T> = (record: T) => ChangeEffect[];

/** Tells audit entries from events among a change's effects. */
export function isAuditEntry(effect: ChangeEffect): effect is AuditEntryContent {
  return "action" in effect;
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
  /** The version of the server pepper the digest was made with. */
  pepperVersion: number;
}

/**
 * A new key to insert: its record and the HMAC digest of the plaintext (the plaintext itself is never stored), and
 * for a project with recoverable keys the plaintext sealed by the KMS (serialized JSON, context `key:<id>`).
 */
export type NewKey = WithDigest<KeyRecord> & { sealedCopy?: string };

/** A new token to insert. */
export type NewToken = WithDigest<TokenRecord>;

/** The fields of a key that an update may change; absent fields stay as they are. */
export interface KeyPatch {
  name?: string | null;
  ownerId?: string | null;
  scopes?: string[];
  /** Role ids, replaced whole. */
  roles?: string[];
  meta?: Record<string, unknown>;
  expiresAt?: number | null;
  enabled?: boolean;
  rateLimits?: RateLimitRule[];
  quota?: KeyQuota | null;
  ipAllowlist?: string[] | null;
}

/** A key's quota balance as last seen by a limiter, written back in batches. */
export interface QuotaBalanceEntry {
  /** The balance's id ({@link KeyQuota.poolId}): every key sharing it gets the balance. */
  poolId: string;
  remaining: number;
  refilledAt: number;
}

/** A rotation: the replacement key to insert and when the old key stops working. */
export interface KeyRotation {
  oldId: string;
  /** The new key; its record's `replaces` is `oldId`. */
  replacement: NewKey;
  /** The old key expires then, or at its own expiry if that is sooner. */
  oldExpiresAt: number;
  nowMs: number;
}

/** What a rotation did: both records when it happened, or why it did not. */
export type RotationOutcome =
  | { outcome: "rotated"; old: KeyRecord; replacement: KeyRecord }
  | { outcome: "not_found" | "revoked" | "already_rotated" };

/** Which keys a bulk revocation takes: every unrevoked key matching all the given filters. */
export interface BulkRevocation {
  /** Only keys of these projects; null for every project. */
  projectIds: readonly string[] | null;
  ownerId?: string;
  reason: string | null;
  nowMs: number;
  /** At most this many keys per call, so one transaction stays short; call again until fewer come back. */
  limit: number;
}

/** Filters and paging for listing keys; `after` is the last id of the previous page. */
export interface KeyQuery {
  /** Only keys of these projects; null for every project. */
  projectIds: readonly string[] | null;
  ownerId?: string;
  limit: number;
  after?: string;
}

/** A standalone rate limit's override for one identifier of a namespace. */
export interface RateLimitOverride {
  namespace: string;
  identifier: string;
  limit: number;
  windowMs: number;
  createdAt: number;
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
  /** The first version of the server pepper, sealed by the KMS (context `pepper`), serialized as JSON. */
  sealedPepper: string;
  defaultProject: ProjectRecord;
  rootToken: NewToken;
}
