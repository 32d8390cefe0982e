import type { KeyRecord } from "@keyward/core/key-record.js";
import type { AlertQuery, AlertRaise, AlertRecord, RaisedAlert } from "./alert-records.js";
import type { KeyImportBatch, KeyImportOutcome, KeyImportStatus } from "./key-import-records.js";
import type {
  BootstrapSeed,
  BulkRevocation,
  ChangeEffect,
  EffectsFor,
  KeyPatch,
  KeyQuery,
  KeyRotation,
  NewKey,
  NewToken,
  PageQuery,
  ProjectPatch,
  ProjectRecord,
  QuotaBalanceEntry,
  RateLimitOverride,
  RotationOutcome,
  TokenRecord,
  UsageEntry,
  WithDigest,
} from "./records.js";
import type {
  KeyUsageQuery,
  ProjectUsage,
  ProjectUsageQuery,
  UsageBucket,
  UsageBucketEntry,
  UsagePruning,
} from "./usage-records.js";

/** Name of the instance setting that holds the default project id. */
export const DEFAULT_PROJECT_SETTING = "default_project_id";

/**
 * Where keys, tokens and projects live. Speaks in domain verbs; every implementation passes the one conformance
 * suite (`key-store.conformance.ts`). Driver errors are translated here: unique violations become CONFLICT,
 * lost connections STORE_UNAVAILABLE (retryable).
 *
 * Every change that takes effects writes them in the same transaction as the change: events to the event outbox
 * (fanned out to the project's subscribed webhooks), audit entries onto the audit chain. So an event or an audit
 * entry exists exactly when its change does.
 */
export interface KeyStore {
  /**
   * Applies pending schema migrations and returns the versions it applied (none when the schema is current); safe
   * to call on every start, and from several processes at once.
   */
  migrate(): Promise<number[]>;
  /** Throws STORE_UNAVAILABLE when the store cannot answer. */
  ping(): Promise<void>;
  /** The highest migration version applied to the store, 0 before the first. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;

  /**
   * Writes the first pepper version, default project and root token in one transaction; false (and no change) if
   * already initialized.
   */
  bootstrap(seed: BootstrapSeed): Promise<boolean>;
  readInstanceSetting(name: string): Promise<string | null>;

  createProject(project: ProjectRecord, effects?: readonly ChangeEffect[]): Promise<void>;
  findProject(id: string): Promise<ProjectRecord | null>;
  listProjects(query: PageQuery): Promise<ProjectRecord[]>;
  /** The ids of every project with `require2fa` on (one query: sessions consult it on each request, cached). */
  listProjectIdsRequiring2fa(): Promise<string[]>;
  /** Applies the patch and returns the new record, or null when no project has that id. */
  updateProject(
    id: string,
    patch: ProjectPatch,
    effectsFor?: EffectsFor<ProjectRecord>,
  ): Promise<ProjectRecord | null>;

  /**
   * Marks a project deleted: from then on reads treat it as absent (its keys, audit entries and usage stay), and
   * the sealed copies of its keys are erased. Deletes once: null when no live project has that id.
   */
  deleteProject(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<ProjectRecord>,
  ): Promise<ProjectRecord | null>;

  createKey(key: NewKey, effects?: readonly ChangeEffect[]): Promise<void>;
  findKey(id: string): Promise<KeyRecord | null>;
  /** Looks a key up by the HMAC digest of its plaintext (an indexed lookup). */
  findKeyByDigest(digest: Buffer): Promise<WithDigest<KeyRecord> | null>;
  /**
   * The key with any of these digests (one per live pepper version), read in one statement, so a key re-digested
   * meanwhile is found under one digest or the other.
   */
  findKeyByAnyDigest(digests: readonly Buffer[]): Promise<WithDigest<KeyRecord> | null>;
  /**
   * Imports keys by the SHA-256 of their plaintexts in one transaction, recording the migration: a key whose
   * digest some key has already (or an earlier key of the batch) is left out as a duplicate, the others are
   * inserted with their effects. Returns each key's outcome, in order.
   */
  importKeys(batch: KeyImportBatch): Promise<KeyImportOutcome[]>;
  /**
   * Whether keys were ever imported, and whether unrevoked ones still wait for their first verification (those
   * expired at `nowMs` do not count: they can never verify).
   */
  keyImportStatus(nowMs: number): Promise<KeyImportStatus>;
  /** Whether an import used this migration id in one of these projects (null: any project). */
  hasKeyMigration(migrationId: string, projectIds: readonly string[] | null): Promise<boolean>;
  /** Keys in id order (creation order), at most `limit`. */
  listKeys(query: KeyQuery): Promise<KeyRecord[]>;
  /** Applies the patch and returns the new record, or null when no key has that id. */
  updateKey(
    id: string,
    patch: KeyPatch,
    nowMs: number,
    effectsFor?: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null>;
  /**
   * Revokes once: a key already revoked keeps its first revocation, and only the call that revoked it writes
   * events. Null when no key has that id.
   */
  revokeKey(
    id: string,
    reason: string | null,
    nowMs: number,
    effectsFor?: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null>;
  /**
   * Erases a key's record and what belongs to it (see `KEY_DEPENDENT_TABLES`); keys it was rotated from or to
   * keep their records without the link. Returns the record as it was, or null when no key has that id.
   */
  deleteKey(id: string, effectsFor?: EffectsFor<KeyRecord>): Promise<KeyRecord | null>;
  /**
   * Revokes up to `limit` unrevoked keys matching the filters, each with its events, in one transaction;
   * returns the keys it revoked (fewer than `limit` means none are left).
   */
  revokeKeys(revocation: BulkRevocation, effectsFor?: EffectsFor<KeyRecord>): Promise<KeyRecord[]>;
  /**
   * Inserts the replacement and points the two keys at each other in one transaction. Only an unrevoked key
   * that has not been rotated yet can be rotated, so two concurrent rotations cannot both succeed.
   */
  rotateKey(
    rotation: KeyRotation,
    effectsFor?: (old: KeyRecord, replacement: KeyRecord) => ChangeEffect[],
  ): Promise<RotationOutcome>;
  /** Adds batched usage: `lastUsedAt` only moves forward, counts add up. Unknown ids are ignored. */
  recordKeyUsage(entries: readonly UsageEntry[]): Promise<void>;
  /**
   * Writes back quota balances seen by the rate limiter (the store keeps them so that losing the limiter's data
   * does not reset anyone's balance). A balance from an older refill period than the stored one is ignored.
   */
  recordQuotaBalances(entries: readonly QuotaBalanceEntry[]): Promise<void>;

  /**
   * Adds verification outcome counts to the minute, hour and day buckets holding each entry's minute (UTC), in
   * one transaction. Additive: batches from several nodes, or the same counts split over several batches, sum.
   */
  recordUsageBuckets(entries: readonly UsageBucketEntry[]): Promise<void>;
  /** A key's non-empty buckets of one granularity in `[fromMs, toMs)`, oldest first. */
  keyUsage(query: KeyUsageQuery): Promise<UsageBucket[]>;
  /**
   * The non-empty buckets of the projects' keys in `[fromMs, toMs)` (oldest first) and their largest groups by
   * key or by code (largest total first, ties by id).
   */
  projectUsage(query: ProjectUsageQuery): Promise<ProjectUsage>;
  /** Deletes minute and hour buckets older than retention allows (day buckets are kept); returns rows deleted. */
  pruneUsageBuckets(pruning: UsagePruning): Promise<number>;

  /**
   * Raises an alert, or adds an occurrence to the open alert of the same storm: an unacknowledged alert with the
   * same `dedupKey` last seen at most `quietMs` before `atMs`. Decided in one transaction (serialized per
   * `dedupKey` on PostgreSQL), so several nodes raising the same storm at once make one alert. Only a new alert
   * writes the events of `effectsFor`.
   */
  raiseAlert(raise: AlertRaise, effectsFor?: EffectsFor<AlertRecord>): Promise<RaisedAlert>;
  findAlert(id: string): Promise<AlertRecord | null>;
  /** Alerts in id order (creation order), at most `limit`. */
  listAlerts(query: AlertQuery): Promise<AlertRecord[]>;
  /**
   * Acknowledges once: an alert already acknowledged keeps its first acknowledgement. Null when no alert has
   * that id. Occurrences after it raise a new alert.
   */
  acknowledgeAlert(
    id: string,
    by: string | null,
    nowMs: number,
    effectsFor?: EffectsFor<AlertRecord>,
  ): Promise<AlertRecord | null>;

  /** Creates or replaces the override of one identifier of a standalone rate limit namespace. */
  setRateLimitOverride(override: RateLimitOverride, effects?: readonly ChangeEffect[]): Promise<void>;
  findRateLimitOverride(namespace: string, identifier: string): Promise<RateLimitOverride | null>;
  /** Overrides of a namespace in identifier order; `after` is the last identifier of the previous page. */
  listRateLimitOverrides(namespace: string, query: PageQuery): Promise<RateLimitOverride[]>;
  /** Deletes the override; its effects are written only when there was one. */
  deleteRateLimitOverride(
    namespace: string,
    identifier: string,
    effects?: readonly ChangeEffect[],
  ): Promise<boolean>;

  createToken(token: NewToken, effects?: readonly ChangeEffect[]): Promise<void>;
  findToken(id: string): Promise<TokenRecord | null>;
  findTokenByDigest(digest: Buffer): Promise<WithDigest<TokenRecord> | null>;
  /** The token with any of these digests, read in one statement (see {@link findKeyByAnyDigest}). */
  findTokenByAnyDigest(digests: readonly Buffer[]): Promise<WithDigest<TokenRecord> | null>;
  listTokens(query: PageQuery): Promise<TokenRecord[]>;
  /** Revokes once; only the call that revoked the token writes its effects. */
  revokeToken(id: string, nowMs: number, effectsFor?: EffectsFor<TokenRecord>): Promise<TokenRecord | null>;
  recordTokenUsage(entries: readonly UsageEntry[]): Promise<void>;
}
