import type { KeyPolicySettings } from "@keyward/core/key-policies.js";
import type { FieldError } from "@keyward/core/keyward-error.js";
import type { QuotaAdjustment } from "@keyward/core/quota-balance.js";
import type { VerificationCode } from "@keyward/core/verification.js";

/** One page of a list; pass `nextCursor` back as `cursor` for the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Paging of a list request: page size (1-100, default 50) and the cursor from the previous page. */
export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** A project's key policies, each an ISO 8601 duration such as `P90D`; only the ones set are present. */
export type ProjectPolicies = KeyPolicySettings;

/** A project: a namespace of keys sharing a key prefix and key policies. */
export interface Project {
  id: string;
  name: string;
  keyPrefix: string;
  policies: ProjectPolicies;
  /** Addresses and CIDR ranges allowed to use the project's keys that have no list of their own; null: any. */
  ipAllowlist: string[] | null;
  /** IANA time zone in which daily and monthly quota refills happen, e.g. `Europe/Paris`. */
  timezone: string;
  /** Whether Keyward keeps a sealed copy of each new key, readable with `keys:reveal` (off by default). */
  recoverableKeys: boolean;
  /** Whether users must have two-factor authentication to hold a role in the project (off by default). */
  require2fa: boolean;
  /** ISO 8601 timestamp. */
  createdAt: string;
}

/** Body of `POST /v1/projects`. */
export interface CreateProjectInput {
  name: string;
  /** Prefix of the project's keys, `[a-z][a-z0-9_]{0,19}`; defaults to `kw`. */
  keyPrefix?: string;
  /** Users without two-factor authentication get no role in the project; defaults to false. */
  require2fa?: boolean;
}

/** Body of `PATCH /v1/projects/{id}`: a policy set to null is removed; absent fields and policies stay. */
export interface UpdateProjectInput {
  name?: string;
  policies?: { [Name in keyof ProjectPolicies]?: string | null };
  /** Up to 100 IPv4/IPv6 addresses or CIDR ranges; null removes the list (any address). */
  ipAllowlist?: string[] | null;
  /** An IANA time zone such as `Europe/Paris`. */
  timezone?: string;
  /** Keep a sealed copy of each key issued from now on; false deletes the copies kept (docs/secrets.md). */
  recoverableKeys?: boolean;
  /** Users without two-factor authentication get no role in the project (docs/accounts.md). */
  require2fa?: boolean;
}

/** A named sliding-window limit of a key: at most `limit` units (request costs) per `windowMs`. */
export interface KeyRateLimit {
  /** 1-64 characters of `[A-Za-z0-9_.:-]`, unique among the key's limits. */
  name: string;
  /** 1 to 1e12. */
  limit: number;
  /** 100 (0.1 s) to 2592000000 (30 days). */
  windowMs: number;
}

/** How a quota refills: its balance is set back to `amount` at each day or month start, in the project's zone. */
export interface QuotaRefill {
  amount: number;
  interval: "day" | "month";
}

/** A key's usage quota as the API shows it: the balance left, and how it refills. */
export interface KeyQuota {
  remaining: number;
  refill: QuotaRefill | null;
  /** When the balance was last refilled (ISO 8601), or null when it never was. */
  refilledAt: string | null;
}

/** A quota as it is set: the starting balance (0 to 1e12) and, optionally, how it refills. */
export interface QuotaInput {
  remaining: number;
  refill?: QuotaRefill | null;
}

/** A key as the API shows it: never the key itself, only its `start` for display. Times are ISO 8601. */
export interface Key {
  id: string;
  projectId: string;
  name: string | null;
  ownerId: string | null;
  start: string;
  scopes: string[];
  /** Ids of the key's roles, whose permissions count as scopes (absent from servers without key roles). */
  roles?: string[];
  meta: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  enabled: boolean;
  revokedAt: string | null;
  revokedReason: string | null;
  lastUsedAt: string | null;
  /** The key that replaced this one by a rotation, or null. */
  replacedBy: string | null;
  /** The key this one replaced by a rotation, or null. */
  replaces: string | null;
  /** True when the key is older than its project's `rotationPeriod` and has not been rotated. */
  rotationDue: boolean;
  /** The key's rate limits, each charged on every verification (or the named ones only). */
  rateLimits: KeyRateLimit[];
  /** The key's usage quota with its live balance, or null when it has none. */
  quota: KeyQuota | null;
  /** Addresses and CIDR ranges allowed to use the key, or null to use its project's list. */
  ipAllowlist: string[] | null;
  /** A honeytoken: never valid (verifies as NOT_FOUND), any use raises a `canary` alert. */
  canary: boolean;
}

/** A newly created key: the record plus the plaintext `key`, returned this once only. */
export interface CreatedKey extends Key {
  key: string;
}

/** The answer of a rotation: the new key (plaintext shown once) and the old key, now with its grace expiry. */
export interface RotatedKey extends CreatedKey {
  previous: Key;
}

/** Body of `POST /v1/keys/{id}/rotate`. */
export interface RotateKeyInput {
  /** How long the old key keeps working, 0 to 2592000 (30 days); the server's default is one day. */
  gracePeriodSeconds?: number;
}

/** Body of `PATCH /v1/keys/{id}`: absent fields stay as they are; `scopes` and `meta` are replaced whole. */
export interface UpdateKeyInput {
  name?: string | null;
  ownerId?: string | null;
  scopes?: string[];
  /** Names or ids of existing roles, replacing the key's roles whole. */
  roles?: string[];
  meta?: Record<string, unknown>;
  /** A Date or ISO 8601 string; on update a time in the past expires the key now; null removes the expiry. */
  expiresAt?: Date | string | null;
  enabled?: boolean;
  /** Up to 10 limits, replacing the old ones whole (`[]` removes them all). */
  rateLimits?: KeyRateLimit[];
  /** A new quota (its balance replaces the live one), or null to remove it. */
  quota?: QuotaInput | null;
  /** Up to 100 IPv4/IPv6 addresses or CIDR ranges; null: use the project's list. */
  ipAllowlist?: string[] | null;
}

/** Body of `POST /v1/keys`: the fields of an update (with `expiresAt` in the future), plus the project. */
export interface CreateKeyInput extends UpdateKeyInput {
  /** Defaults to the instance's default project. */
  projectId?: string;
  /** Creates a honeytoken: never valid, any use raises a `canary` alert; it cannot be rotated. */
  canary?: boolean;
}

/** One key of `POST /v1/keys/import`: the SHA-256 of its plaintext (hex or base64) and the fields of a new key. */
export interface ImportKeyInput extends UpdateKeyInput {
  hash: string;
  /** Shown as the key's `start` (`prefix_`); else it is empty. */
  prefix?: string;
}

/** Body of `POST /v1/keys/import`: up to 1000 keys into one project, under a migration id of yours. */
export interface ImportKeysInput {
  projectId: string;
  migrationId: string;
  keys: ImportKeyInput[];
}

/** The answer of an import: the keys imported, and those that were not with why (hashes as given). */
export interface ImportKeysResult {
  migrated: Array<{ hash: string; keyId: string }>;
  failed: Array<{ hash: string; reason: string }>;
}

/** Body of `POST /v1/keys/{id}/revoke`. */
export interface RevokeKeyInput {
  reason?: string;
}

/** Body of `POST /v1/keys/revoke`: revokes every live key matching the filters; name at least one of them. */
export interface RevokeKeysInput {
  projectId?: string;
  ownerId?: string;
  reason?: string;
}

/** The answer of a bulk revocation. */
export interface RevokeKeysResult {
  /** How many keys this request revoked. */
  revoked: number;
}

/** Filters and paging of `GET /v1/keys`. */
export interface ListKeysOptions extends PageOptions {
  projectId?: string;
  ownerId?: string;
}

/** Body of `POST /v1/keys/verify`. */
export interface VerifyKeyInput {
  key: string;
  /** Scopes the key must grant, each exactly or through a wildcard. */
  scopes?: string[];
  /** The caller's IPv4 or IPv6 address; needed when the key or its project has an IP allowlist. */
  ip?: string;
  /** Units this request takes from the key's limits and quota, 0 to 1e6; defaults to 1. */
  cost?: number;
  /**
   * Charge only these of the key's limits (by name), each with its own cost or else `cost`; `limit` and `windowMs`
   * override the limit's own for this call (an overridden window is counted apart).
   */
  rateLimits?: Array<{ name: string; cost?: number; limit?: number; windowMs?: number }>;
}

/** Where one of a key's rate limits stands after a verification. */
export interface RateLimitStatus {
  name: string;
  limit: number;
  /** The limit's window in milliseconds. */
  windowMs: number;
  remaining: number;
  /** When the spent units are back (ISO 8601). */
  resetAt: string;
}

/** The outcome of a verification; `valid: false` is an answer, not an error. Key details are set when the key exists. */
export interface VerifyKeyResult {
  valid: boolean;
  code: VerificationCode;
  keyId?: string;
  projectId?: string;
  ownerId?: string | null;
  name?: string | null;
  scopes?: string[];
  /** When the key has roles: their names. */
  roles?: string[];
  /** When the key has roles: its scopes plus its roles' permissions, which the check used. */
  grantedScopes?: string[];
  meta?: Record<string, unknown>;
  expiresAt?: string | null;
  /** Set only when `code` is INSUFFICIENT_SCOPE. */
  missingScopes?: string[];
  /** Set whenever the key was found: true when its project's `rotationPeriod` says it is due for rotation. */
  rotationDue?: boolean;
  /** Set only while a rotated key still works: switch to `replacedBy` before `expiresAt` (ISO 8601). */
  rotation?: { replacedBy: string; expiresAt: string };
  /** The charged rate limits, when the verification reached them. */
  rateLimits?: RateLimitStatus[];
  /** The quota balance after this request, when the verification reached it. */
  quota?: { remaining: number };
  /** Set when the rate limiter could not be reached and the server let the request through uncounted. */
  degraded?: true;
}

/** Body of `POST /v1/ratelimit`: take `cost` (default 1) of `limit` per `windowMs` from one identifier. */
export interface RatelimitInput {
  /** 1-64 characters of `[A-Za-z0-9_.:-]`, e.g. `login`. */
  namespace: string;
  /** 1-256 characters, e.g. a user id or an IP address. */
  identifier: string;
  limit: number;
  windowMs: number;
  /** 0 to 1e6; 0 reads the state without charging. */
  cost?: number;
}

/** The answer of a limit check; `success: false` (limited) is an answer, not an error. */
export interface RatelimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** When the spent units are back (ISO 8601). */
  resetAt: string;
  /** Set when an override for the identifier replaced the requested limit and window. */
  overridden?: true;
  /** Set when the rate limiter could not be reached and the server let the request through uncounted. */
  degraded?: true;
}

/** Body of `PUT /v1/ratelimit/overrides`: a limit and window that replace the requested ones for one identifier. */
export interface SetRateLimitOverrideInput {
  namespace: string;
  identifier: string;
  limit: number;
  windowMs: number;
}

/** A stored rate limit override. */
export interface RateLimitOverride extends SetRateLimitOverrideInput {
  /** ISO 8601 timestamp. */
  createdAt: string;
}

/** An admin token as the API shows it: never the token itself. Times are ISO 8601. */
export interface Token {
  id: string;
  name: string;
  permissions: string[];
  /** Projects the token is limited to, or null for all. */
  projectIds: string[] | null;
  start: string;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A newly created admin token: the record plus the plaintext `token`, returned this once only. */
export interface CreatedToken extends Token {
  token: string;
}

/** Body of `POST /v1/tokens`: a token can only mint tokens with permissions it holds itself. */
export interface CreateTokenInput {
  name: string;
  permissions: string[];
  projectIds?: string[] | null;
}

/** A webhook endpoint as the API shows it: never its signing secret. Times are ISO 8601. */
export interface Webhook {
  id: string;
  projectId: string;
  url: string;
  description: string | null;
  /** Subscribed event types such as `key.rotated`, or `*` for all. */
  events: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A newly created webhook: the record plus its `whsec_…` signing secret, returned this once only. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

/** Body of `POST /v1/webhooks`. */
export interface CreateWebhookInput {
  /** Defaults to the instance's default project. */
  projectId?: string;
  /** https, or http to a loopback host. */
  url: string;
  /** 1 to 20 event types, or `*`. */
  events: string[];
  description?: string | null;
  /** A `whsec_…` secret to sign with; the server generates one when absent. */
  secret?: string;
  enabled?: boolean;
}

/** Body of `PATCH /v1/webhooks/{id}`: absent fields stay as they are; `events` is replaced whole. */
export interface UpdateWebhookInput {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** Filters and paging of `GET /v1/webhooks`. */
export interface ListWebhooksOptions extends PageOptions {
  projectId?: string;
}

/** Where a delivery stands: retrying until delivered, or failed once its retry window ended. */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One try at delivering an event. */
export interface DeliveryAttempt {
  attempt: number;
  attemptedAt: string;
  durationMs: number;
  /** The receiver's HTTP status, or null when there was no response. */
  statusCode: number | null;
  /** Why the attempt got no response (timeout, refused, ...), or null. */
  error: string | null;
  /** The start of the receiver's response body. */
  responseBody: string | null;
}

/** One event's delivery to one webhook; `id` is the event id, sent as the `webhook-id` header. */
export interface Delivery {
  id: string;
  webhookId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  /** When the event happened. */
  createdAt: string;
  attemptLog: DeliveryAttempt[];
}

/** Filters and paging of `GET /v1/webhooks/{id}/deliveries`. */
export interface ListDeliveriesOptions extends PageOptions {
  status?: DeliveryStatus;
}

/** The resolution of a usage report: UTC minutes, hours or days. */
export type UsageGranularity = "minute" | "hour" | "day";

/** The range of a usage report; every field optional (default: the last 24 hours, by hour). */
export interface UsageRangeOptions {
  /** Start of the range, rounded down to its bucket. */
  from?: Date | string;
  /** End of the range (exclusive), rounded up to a whole bucket; default: the end of the current bucket. */
  to?: Date | string;
  granularity?: UsageGranularity;
}

/** One bucket of a usage series: verification outcomes by code. */
export interface UsageBucket {
  /** The bucket's start, RFC 3339 (UTC). */
  start: string;
  total: number;
  /** Outcomes by verification code (VALID, RATE_LIMITED...); codes not seen are absent. */
  codes: Record<string, number>;
}

/** Answer of `GET /v1/keys/{id}/usage`: every bucket of the range, zero-filled. */
export interface KeyUsage {
  keyId: string;
  granularity: UsageGranularity;
  from: string;
  to: string;
  buckets: UsageBucket[];
}

/** Filters of `GET /v1/usage`. */
export interface UsageOptions extends UsageRangeOptions {
  /** One project; every project the token can see when absent. */
  projectId?: string;
  /** Top keys (default) or codes. */
  groupBy?: "key" | "code";
  /** Most groups returned (1-100, default 10). */
  limit?: number;
}

/** A top key (groupBy=key) or a code (groupBy=code) of a usage report. */
export interface UsageGroup {
  /** The key's id, or the code. */
  id: string;
  total: number;
  codes: Record<string, number>;
}

/** Answer of `GET /v1/usage`: totals, series and top keys (or codes) in one call. */
export interface Usage {
  projectId: string | null;
  granularity: UsageGranularity;
  from: string;
  to: string;
  groupBy: "key" | "code";
  total: number;
  codes: Record<string, number>;
  buckets: UsageBucket[];
  groups: UsageGroup[];
}

/** Answer of `GET /healthz`. */
export interface HealthStatus {
  status: string;
}

/** An RFC 9457 problem document, as every Keyward error response carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
}

export type { FieldError, KeyPolicySettings, QuotaAdjustment, VerificationCode };

/**
 * What an anomaly detector saw: a key far above its baseline rate (`spike`), a key with a history used from a new
 * network (`new_source`), a source over the failed-verification limit (`brute_force`, no key), a revoked or
 * expired key used (`dead_key_used`), a canary key used (`canary`).
 */
export type AlertType = "spike" | "new_source" | "brute_force" | "dead_key_used" | "canary";

/** One storm of suspicious use: repeats within 10 quiet minutes are folded into one alert. Times are ISO 8601. */
export interface Alert {
  id: string;
  projectId: string;
  keyId: string | null;
  type: AlertType;
  firstSeenAt: string;
  lastSeenAt: string;
  occurrences: number;
  /** The first occurrence: `keyId`, `code` (the verification outcome), `ip` (or null), `at`. */
  details: Record<string, unknown>;
  acknowledgedAt: string | null;
  /** The admin token that acknowledged the alert. */
  acknowledgedBy: string | null;
}

/** Filters and paging of `GET /v1/alerts`. */
export interface ListAlertsOptions extends PageOptions {
  projectId?: string;
  /** true: only acknowledged alerts; false: only open ones; absent: both. */
  acknowledged?: boolean;
  type?: AlertType;
}

/** Who did what an audit entry records: an admin token, a user, or Keyward itself (`system`). */
export interface AuditActor {
  type: "token" | "user" | "system";
  id: string;
  /** The actor's name at the time. */
  name: string | null;
}

/** One entry of the tamper-evident audit log. `at` is ISO 8601 with milliseconds. */
export interface AuditEntry {
  id: string;
  /** Position in the log: 1 for the first entry ever, one more per entry. */
  seq: number;
  at: string;
  actor: AuditActor;
  /** A dotted verb: `key.created`, `token.revoked`, `request.refused`, … */
  action: string;
  target: { type: string; id: string } | null;
  projectId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  outcome: "success" | "failure";
  /** What changed, redacted: `{field: {from, to}}` or, for a creation, `{field: value}`. */
  diff: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** A page of audit entries; `total` counts every match when asked for with `count: true`. */
export interface AuditPage extends Page<AuditEntry> {
  total?: number;
}

/** Filters and paging of `GET /v1/audit`. */
export interface ListAuditEntriesOptions {
  actorId?: string;
  action?: string;
  targetId?: string;
  projectId?: string;
  /** Only entries at or after this instant. */
  from?: Date | string;
  /** Only entries before this instant (exclusive). */
  to?: Date | string;
  /** `newest` (default) pages back in time; `oldest` pages forward. */
  order?: "newest" | "oldest";
  /** Page size, 1-1000 (default 100). */
  limit?: number;
  /** `nextCursor` of the previous page, asked with the same order. */
  cursor?: string;
  /** Also count every entry matching the filters. */
  count?: boolean;
}

/** How a verification found the chain broken. */
export type AuditBreakReason = "modified" | "deleted" | "inserted" | "reordered" | "checkpoint_mismatch";

/** The verdict of an audit log verification: an answer, whether the log is intact or not. */
export type AuditVerification =
  | { ok: true; entries: number; checkpoints: number; head: { seq: number; hash: string } }
  | {
      ok: false;
      entries: number;
      reason: AuditBreakReason;
      /** The first entry found bad, or null when what is wrong is no entry (a checkpoint, a cut end). */
      firstBadEntry: { id: string; seq: number; action: string; at: string } | null;
      detail: string;
      head: { seq: number; hash: string };
    };

/** A signed checkpoint: the chain up to `seq` ends in `hash`. `at` is ISO 8601 with milliseconds. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  /** Base64 Ed25519 signature. */
  signature: string;
  kind: "periodic" | "on_demand" | "pruning";
}

/** The public half of a checkpoint signing key (SPKI PEM). */
export interface AuditPublicKey {
  keyId: string;
  publicKey: string;
}

/** Every checkpoint and the keys that verify them: the file to keep outside Keyward. */
export interface AuditCheckpointExport {
  publicKeys: AuditPublicKey[];
  checkpoints: AuditCheckpoint[];
}

/** Options of {@link KeywardClient.verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** Checkpoints kept elsewhere (an earlier export; `kind` may be left out) to check the log against as well. */
  checkpoints?: {
    publicKeys: AuditPublicKey[];
    checkpoints: Array<Omit<AuditCheckpoint, "kind"> & { kind?: AuditCheckpoint["kind"] }>;
  };
  /** How long the verification may take; defaults to the client's timeout. */
  timeoutMs?: number;
}

/** A vault secret's metadata: never its value (see {@link RevealedSecret}). */
export interface Secret {
  id: string;
  projectId: string;
  /** Unique in its project. */
  name: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** When the value was last set; ISO 8601. */
  updatedAt: string;
  /** The admin token that stored it. */
  createdBy: string | null;
  lastRevealedAt: string | null;
}

/** A secret with its value, as a reveal returns it. */
export interface RevealedSecret extends Secret {
  value: string;
}

/** Body of `POST /v1/secrets`. */
export interface CreateSecretInput {
  /** Defaults to the instance's default project. */
  projectId?: string;
  /** Letters, digits and `_`, then also `-` and `.`; at most 128 characters. */
  name: string;
  /** 1 byte to 8 KiB of UTF-8. */
  value: string;
}

/** Options of {@link KeywardClient.listSecrets}. */
export interface ListSecretsOptions extends PageOptions {
  projectId?: string;
}

/** A recoverable key's plaintext, as `POST /v1/keys/{id}/reveal` returns it. */
export interface RevealedKey {
  id: string;
  key: string;
}

/** Paging of a list that can be searched: `search` keeps entries holding the text, ignoring case. */
export interface SearchPageOptions extends PageOptions {
  search?: string;
}

/**
 * An identity: meta and rate limits shared by every key whose `ownerId` is its `externalId`, in every project
 * (docs/identities.md). Times are ISO 8601.
 */
export interface Identity {
  /** `id_…`, derived from the externalId. */
  id: string;
  externalId: string;
  /** Returned with every verification of its keys. */
  meta: Record<string, unknown>;
  /** Counted once for all its keys, per name. */
  rateLimits: KeyRateLimit[];
  createdAt: string;
  updatedAt: string;
}

/** Body of `POST /v1/identities`. */
export interface CreateIdentityInput {
  /** The ownerId of the keys it groups: 1 to 255 characters, unique in the instance. */
  externalId: string;
  meta?: Record<string, unknown>;
  rateLimits?: KeyRateLimit[];
}

/** Body of `PATCH /v1/identities/{id}`: each field given is replaced whole; absent fields stay. */
export interface UpdateIdentityInput {
  meta?: Record<string, unknown>;
  rateLimits?: KeyRateLimit[];
}

/** A permission of the instance's catalogue (docs/key-roles.md). */
export interface Permission {
  /** `perm_` + 16 hex digits of the slug's SHA-256. */
  id: string;
  /** A scope, which keys hold and verification queries name. */
  slug: string;
  name: string;
  description: string | null;
  /** ISO 8601 timestamp. */
  createdAt: string;
}

/** Body of `POST /v1/permissions`. */
export interface CreatePermissionInput {
  slug: string;
  name: string;
  description?: string | null;
}

/** A role: a named set of catalogue permissions that keys can hold. Times are ISO 8601. */
export interface Role {
  /** `role_…`. */
  id: string;
  /** Unique in the instance. */
  name: string;
  description: string | null;
  permissions: Permission[];
  createdAt: string;
  /** When its permissions last changed. */
  updatedAt: string;
}

/** Body of `POST /v1/roles`. */
export interface CreateRoleInput {
  name: string;
  description?: string | null;
  /** Permission slugs; those not in the catalogue yet are added to it. */
  permissions?: string[];
}
