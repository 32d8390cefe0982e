import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import { newId } from "@keyward/core/ids.js";
import {
  compileIpAllowlist,
  type IpAllowlist,
  isIpAllowed,
  normalizeIpAllowlist,
} from "@keyward/core/ip-allowlist.js";
import {
  generateKey,
  isValidKeyPrefix,
  KEY_PREFIX_PATTERN,
  keyStart,
  parseKey,
} from "@keyward/core/key-format.js";
import {
  defaultExpiry,
  isRotationDue,
  type KeyPolicies,
  latestAllowedExpiry,
} from "@keyward/core/key-policies.js";
import type { KeyQuota, KeyRecord, QuotaRefill } from "@keyward/core/key-record.js";
import type { ResolvedRoles } from "@keyward/core/key-roles.js";
import { type FieldError, invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import type { PermissionQuery } from "@keyward/core/permission-query.js";
import { latestRefillBoundary } from "@keyward/core/refill-schedule.js";
import { decideVerification, type VerificationCode } from "@keyward/core/verification.js";
import { auditEntry, changeDiff, recordDiff, toCanonical } from "../audit/audit-entry.js";
import { KEY_AUDIT_FIELDS } from "../audit/audited-fields.js";
import { keyEvent } from "../events/key-events.js";
import { sealSecret } from "../kms/envelope.js";
import type { Kms } from "../kms/kms.js";
import type { PepperRing } from "../kms/pepper-ring.js";
import type { QuotaAdjustment } from "../limits/rate-limiter.js";
import type { VerifyCacheMetrics } from "../monitor/metrics.js";
import type { AuditStore } from "../store/audit-store.js";
import type { IdentityRecord } from "../store/identity-store.js";
import { IMPORTED_PEPPER_VERSION } from "../store/key-import-records.js";
import type { KeyStore } from "../store/key-store.js";
import type { Redigest } from "../store/pepper-store.js";
import type { KeyPatch, NewKey, ProjectRecord } from "../store/records.js";
import type { AnomalyAlerts } from "./anomaly-alerts.js";
import type { BruteForceGuard } from "./brute-force-guard.js";
import type { Clock } from "./clock.js";
import { DigestCache } from "./digest-cache.js";
import type { IdentityLookup } from "./identity-service.js";
import { INVALID_HASH_REASON, parseSha256Hash } from "./imported-key-hash.js";
import {
  type ImportKeysInput,
  type ImportKeysResult,
  MAX_IMPORTED_KEYS,
  MIGRATION_ID_PATTERN,
} from "./key-import-types.js";
import { KeyImportWatch } from "./key-import-watch.js";
import { checkKeyFields, throwIfInvalid } from "./key-input-rules.js";
import { KeyLimits, type LimitOutcome, type LimitRequest, type RateLimitState } from "./key-limits.js";
import type { RoleCatalogue } from "./key-role-service.js";
import { listPage, type Page } from "./page.js";
import { PepperedLookup } from "./peppered-lookup.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";
import type { ProjectService, ProjectSettings } from "./project-service.js";
import { keyCopyContext } from "./seal-contexts.js";
import type { TrafficDetectors } from "./traffic-detectors.js";
import type { UsageAnalytics } from "./usage-analytics.js";
import { UsageBatcher } from "./usage-batcher.js";

/** A quota as callers set it: the balance, and optionally how it refills. */
export interface QuotaInput {
  remaining: number;
  refill?: QuotaRefill | null;
}

/** What a caller may change on a key. */
export interface UpdateKeyInput extends Omit<KeyPatch, "quota"> {
  quota?: QuotaInput | null;
}

/** What a caller may set when creating a key. */
export interface CreateKeyInput extends UpdateKeyInput {
  projectId?: string;
  /** A honeytoken: never valid, and any use of it raises a `canary` alert. */
  canary?: boolean;
  /** This key's prefix instead of the project's (Unkey's per-key `prefix`); same rules as a project prefix. */
  prefix?: string;
}

/** A key as services return it: the record plus what the project's policies say about it now. */
export interface KeyView extends KeyRecord {
  /** True when the key is older than the project's `rotationPeriod` and has not been rotated. */
  rotationDue: boolean;
}

/** Default overlap of a rotation: the old key keeps working this long. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;
/** Longest overlap a rotation may ask for: 30 days. */
export const MAX_GRACE_PERIOD_SECONDS = 30 * 86_400;
/** Keys revoked per transaction by a bulk revocation. */
const BULK_REVOKE_BATCH = 500;
/**
 * The latest expiry a key may get: the API shows instants as RFC 3339 date-times, whose year has four digits. A
 * long maxLifetime (P999999Y) or a rotation of a key expiring near that end would otherwise store an instant
 * that fails every later read of the key.
 */
const LATEST_EXPIRY_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** A verification request. The key is only ever held in memory for the duration of the call. */
export interface VerifyKeyInput extends LimitRequest {
  key: string;
  scopes?: string[];
  /** A boolean query over the key's scopes (Unkey's `a AND (b OR c)`), checked after `scopes`. */
  scopeQuery?: PermissionQuery;
  /** The end client's address, checked against IP allowlists. */
  ip?: string;
  /** The address the verify request came from; brute-force counting uses `ip` first, this otherwise. */
  sourceIp?: string;
}

/** A verification outcome; key details are present whenever the key was found. */
export interface VerifyKeyResult {
  valid: boolean;
  code: VerificationCode;
  /** The key as cached: a KeyRecord, not a view, so the hot path copies nothing. */
  key?: KeyRecord;
  /** Whether the found key is due for rotation under its project's policy. */
  rotationDue?: boolean;
  missingScopes?: string[];
  /** Set while a rotated key is in its grace window: use `replacedBy` before `expiresAt`. */
  rotation?: { replacedBy: string; expiresAt: number };
  /** The key's rate limits after this request, when it reached them. */
  rateLimits?: RateLimitState[];
  /** The key's quota balance after this request, when it reached it. */
  quota?: { remaining: number };
  /** True when the limiter was unavailable and the configuration let the request through uncounted. */
  degraded?: true;
  /** The names of the key's roles, when it has any (roles that no longer exist are left out). */
  roles?: string[];
  /** When the key has roles: its scopes plus its roles' permissions, which verification checked. */
  grantedScopes?: string[];
  /** The identity of the key's owner, when it has one: its meta, and its rate limits (charged above). */
  identity?: IdentityRecord;
}

/** Options for {@link KeyService}. */
export interface KeyServiceOptions {
  store: KeyStore;
  /** Where entries go for changes outside a store transaction (quota balances live in the limiter). */
  audit?: AuditStore;
  projects: ProjectService;
  /** Rate limits and quotas. */
  limits: KeyLimits;
  /** Throttles sources that fail verification too often; none in tests that do not need it. */
  bruteForce?: BruteForceGuard;
  /** The digest pepper's live versions: keys are found under any, digested anew under the current one. */
  peppers: PepperRing;
  /** Writes keys re-digested under the current pepper (`PepperStore.redigestKeys`). */
  redigest(swaps: Redigest[]): Promise<number>;
  /** Seals the copies of new keys of projects with `recoverableKeys` on. */
  kms?: Kms;
  clock: Clock;
  keyBytes: number;
  cacheMaxEntries: number;
  cacheTtlMs: number;
  randomBytes?: (size: number) => Buffer;
  onUsageWriteError?(error: unknown): void;
  /** Keys re-digested with the current pepper, once written (`keyward_pepper_redigests_total`). */
  onRedigested?(count: number): void;
  /** Counts every verification outcome per key, code and minute for the usage API; none when analytics are off. */
  analytics?: UsageAnalytics;
  /** Called after a change wrote events, so the webhook worker can deliver them without waiting for its poll. */
  onEvents?(): void;
  /** Tells the other nodes which of these records this node changed, once committed; never rejects. */
  announceChanges?(ids: readonly string[]): Promise<void>;
  /** Counts verify cache hits and misses (`keyward_verify_cache_requests_total`). */
  cacheMetrics?: VerifyCacheMetrics;
  /** Raises `canary` and `dead_key_used` alerts; none in tests that do not need them. */
  alerts?: AnomalyAlerts;
  /** Watches every verification that found a key for spikes and new sources; none when detection is off. */
  detectors?: TrafficDetectors;
  /** The roles keys can hold, kept in memory: without it, keys can hold no roles. */
  roles?: RoleCatalogue;
  /** The identities of key owners, whose shared rate limits verification charges; none without identities. */
  identities?: IdentityLookup;
}

/** Issues, lists, changes, revokes and verifies API keys. The only way routes and commands reach keys. */
export class KeyService {
  readonly usage: UsageBatcher;
  readonly #options: KeyServiceOptions;
  readonly #cache: DigestCache<KeyRecord>;
  /** Finds keys by digest under every live pepper, and re-digests old ones; its batcher runs with `usage`. */
  readonly lookup: PepperedLookup<KeyRecord>;
  /** Compiled allowlists of cached records; a changed key is a new record object, so nothing goes stale. */
  readonly #allowlists = new WeakMap<KeyRecord, IpAllowlist>();
  /** Whether verification must look for imported keys too (see KeyImportWatch). */
  readonly #imports: KeyImportWatch;
  /** Migration ids known to exist, by `migrationId\0projects`: they are never deleted. */
  readonly #knownMigrations = new Set<string>();

  constructor(options: KeyServiceOptions) {
    this.#options = options;
    this.#imports = new KeyImportWatch(() => options.store.keyImportStatus(options.clock.now()));
    this.#cache = new DigestCache({
      maxEntries: options.cacheMaxEntries,
      ttlMs: options.cacheTtlMs,
      clock: options.clock,
    });
    this.usage = new UsageBatcher({
      write: (entries) => options.store.recordKeyUsage(entries),
      ...(options.onUsageWriteError === undefined ? {} : { onError: options.onUsageWriteError }),
    });
    const { store, cacheMetrics } = options;
    this.lookup = new PepperedLookup({
      peppers: options.peppers,
      cache: this.#cache,
      findOne: (digest) => store.findKeyByDigest(digest),
      findAny: (digests) => store.findKeyByAnyDigest(digests),
      redigest: (swaps) => options.redigest(swaps),
      ...(cacheMetrics === undefined
        ? {}
        : { onCacheLookup: (outcome) => cacheMetrics.verifyCacheLookup(outcome) }),
      ...(options.onRedigested === undefined ? {} : { onRedigested: options.onRedigested }),
      ...(options.onUsageWriteError === undefined ? {} : { onRedigestError: options.onUsageWriteError }),
    });
  }

  /** Creates a key and returns its plaintext, which is never stored and never shown again. */
  async createKey(principal: Principal, input: CreateKeyInput): Promise<{ key: string; record: KeyView }> {
    requirePermission(principal, "keys:create");
    const project = await this.#options.projects.resolveProject(principal, input.projectId);
    const now = this.#options.clock.now();
    throwIfInvalid(newKeyFieldErrors(input, now));
    const roles = input.roles === undefined ? [] : await this.#roleIdsFor(input.roles);
    const ipAllowlist = input.ipAllowlist == null ? null : normalizeIpAllowlist(input.ipAllowlist);
    const settings = await this.#options.projects.settingsFor(project.id);
    const policies = settings.policies;
    const expiresAt = newKeyExpiry(input.expiresAt, now, policies);

    const { key, record } = this.#newKey({
      projectId: project.id,
      keyPrefix: input.prefix ?? project.keyPrefix,
      now,
      fields: {
        name: input.name ?? null,
        ownerId: input.ownerId ?? null,
        scopes: dedupe(input.scopes ?? []),
        roles,
        meta: input.meta ?? {},
        expiresAt,
        enabled: input.enabled ?? true,
        replaces: null,
        rateLimits: input.rateLimits ?? [],
        quota: null,
        ipAllowlist,
        canary: input.canary ?? false,
      },
    });
    if (input.quota != null) record.quota = newQuota(record.id, input.quota, settings.timezone, now);
    const copy = await this.#sealedCopy(project, record.id, key);
    await this.#options.store.createKey({ record, ...this.lookup.digestNew(key), ...copy }, [
      keyEvent("key.created", record, now),
      keyAudit(principal, "key.created", record, createdDiff(record, copy), now),
    ]);
    this.#options.onEvents?.();
    return { key, record: this.#view(record, policies, now) };
  }

  /**
   * Imports keys from another system by the SHA-256 of their plaintexts (Unkey's keys.migrateKeys), into one
   * project, in one transaction: each keeps verifying with its original plaintext and is re-digested under the
   * current pepper at its first verification. Fields are checked as createKey checks them, and any problem
   * refuses the whole request (pointers `/keys/<i>/...`); a hash that is not a SHA-256, or that is some key's
   * already, fails that key alone.
   */
  async importKeys(principal: Principal, input: ImportKeysInput): Promise<ImportKeysResult> {
    requirePermission(principal, "keys:create");
    const project = await this.#options.projects.resolveProject(principal, input.projectId);
    if (!new RegExp(MIGRATION_ID_PATTERN).test(input.migrationId)) {
      throw invalidField("/migrationId", "must be 1-128 characters of A-Z a-z 0-9 _ . : -");
    }
    if (input.keys.length > MAX_IMPORTED_KEYS) {
      throw invalidField("/keys", `must hold at most ${MAX_IMPORTED_KEYS} keys per request`);
    }
    const now = this.#options.clock.now();
    throwIfInvalid(
      input.keys.flatMap((key, index) =>
        newKeyFieldErrors(key, now).map((e) => ({ ...e, pointer: `/keys/${index}${e.pointer}` })),
      ),
    );
    // Role names or ids as createKey takes them; an unknown one refuses the request like any invalid field.
    const roleIds: string[][] = [];
    for (const [index, key] of input.keys.entries()) {
      roleIds.push(
        key.roles === undefined || key.roles.length === 0
          ? []
          : await this.#roleIdsFor(key.roles, `/keys/${index}/roles`),
      );
    }
    const settings = await this.#options.projects.settingsFor(project.id);
    const random = this.#options.randomBytes;
    const failed: ImportKeysResult["failed"] = [];
    const accepted: Array<{ hash: string; key: NewKey }> = [];
    input.keys.forEach((key, index) => {
      const digest = parseSha256Hash(key.hash);
      if (digest === null) {
        failed.push({ hash: key.hash, reason: INVALID_HASH_REASON });
        return;
      }
      const expiresAt = atKey(index, () => newKeyExpiry(key.expiresAt, now, settings.policies));
      const record: KeyRecord = {
        id: newId("key", { now, ...(random === undefined ? {} : { randomBytes: random }) }),
        projectId: project.id,
        // Only the prefix is known: the plaintext never reaches Keyward before its first verification.
        start: key.prefix === undefined ? "" : `${key.prefix}_`,
        name: key.name ?? null,
        ownerId: key.ownerId ?? null,
        scopes: dedupe(key.scopes ?? []),
        roles: roleIds[index] ?? [],
        meta: key.meta ?? {},
        expiresAt,
        enabled: key.enabled ?? true,
        replaces: null,
        rateLimits: key.rateLimits ?? [],
        quota: null,
        ipAllowlist: key.ipAllowlist == null ? null : normalizeIpAllowlist(key.ipAllowlist),
        canary: false,
        createdAt: now,
        updatedAt: now,
        revokedAt: null,
        revokedReason: null,
        lastUsedAt: null,
        replacedBy: null,
      };
      if (key.quota != null) record.quota = newQuota(record.id, key.quota, settings.timezone, now);
      accepted.push({ hash: key.hash, key: { record, digest, pepperVersion: IMPORTED_PEPPER_VERSION } });
    });
    // Before and after the write: a verification in between must already look for the new keys.
    this.#imports.note();
    const outcomes = await this.#options.store.importKeys({
      migrationId: input.migrationId,
      projectId: project.id,
      nowMs: now,
      keys: accepted.map((a) => a.key),
      effectsFor: (record) => [
        keyEvent("key.created", record, now),
        keyAudit(
          principal,
          "key.created",
          record,
          { ...createdDiff(record, {}), migrationId: input.migrationId },
          now,
        ),
      ],
    });
    this.#imports.note();
    const migrated: ImportKeysResult["migrated"] = [];
    accepted.forEach(({ hash, key }, index) => {
      if (outcomes[index] === "imported") migrated.push({ hash, keyId: key.record.id });
      else failed.push({ hash, reason: "a key with this hash exists already" });
    });
    if (migrated.length > 0) {
      // New keys, cached nowhere: the announcement tells the other nodes to look for imported keys now.
      await this.#options.announceChanges?.(migrated.map((m) => m.keyId));
      this.#options.onEvents?.();
    }
    return { migrated, failed };
  }

  /**
   * Whether an import used this migration id in a project the principal can see (verifyKey's `migrationId`).
   * Migrations are never deleted, so a known one is remembered.
   */
  async hasMigration(principal: Principal, migrationId: string): Promise<boolean> {
    requirePermission(principal, "keys:verify");
    const known = `${migrationId}\0${principal.projectIds?.join(",") ?? "*"}`;
    if (this.#knownMigrations.has(known)) return true;
    if (!(await this.#options.store.hasKeyMigration(migrationId, principal.projectIds))) return false;
    if (this.#knownMigrations.size >= 10_000) this.#knownMigrations.clear();
    this.#knownMigrations.add(known);
    return true;
  }

  /** Reads from the store whether imported keys exist and wait for their first verification (at start, then on a timer). */
  async refreshImports(): Promise<void> {
    await this.#imports.refresh();
  }

  /**
   * Another node announced changed keys, or announcements may have been missed: they may be imported keys, so
   * verification looks for imported keys until the next {@link refreshImports} says there are none.
   */
  noteKeysChangedElsewhere(): void {
    this.#imports.note();
  }

  /** The key with this id, if the principal may see it; NOT_FOUND otherwise (a hidden key looks absent). */
  async getKey(principal: Principal, id: string): Promise<KeyView> {
    requirePermission(principal, "keys:read");
    const key = await this.#findVisible(principal, id);
    const view = await this.#viewOf(key);
    if (key.quota === null) return view;
    // The store's balance is written back in batches; the limiter holds the live one.
    const settings = await this.#options.projects.settingsFor(key.projectId);
    const live = await this.#options.limits.liveBalance(key, settings.timezone, this.#options.clock.now());
    return live === null ? view : { ...view, quota: { ...key.quota, ...live } };
  }

  /**
   * The key whose plaintext this is, found the way verification finds it (format check, then the peppered
   * digest lookup), if the principal may see it; NOT_FOUND otherwise. A lookup only: nothing is counted, charged
   * or recorded as use, so it tells nothing about whether the key would verify.
   */
  async findKeyByPlaintext(principal: Principal, plaintext: string): Promise<KeyView> {
    requirePermission(principal, "keys:read");
    let found =
      parseKey(plaintext) === null && !this.#imports.migrations ? null : await this.lookup.find(plaintext);
    if (found === null && this.#imports.pending) found = await this.lookup.findImported(plaintext);
    // A honeytoken is never shown by its plaintext: whoever holds it must learn nothing from it.
    if (found === null || found.canary || !canAccessProject(principal, found.projectId)) {
      throw new KeywardError("NOT_FOUND", "No key matches.");
    }
    return this.getKey(principal, found.id);
  }

  /** Keys in creation order, filtered by project and owner, one page at a time. */
  async listKeys(
    principal: Principal,
    query: { projectId?: string; ownerId?: string; limit?: number; cursor?: string },
  ): Promise<Page<KeyView>> {
    requirePermission(principal, "keys:read");
    let projectIds: readonly string[] | null = principal.projectIds;
    if (query.projectId !== undefined) {
      projectIds = canAccessProject(principal, query.projectId) ? [query.projectId] : [];
    }
    const page = await listPage(query.limit, query.cursor, (page) =>
      this.#options.store.listKeys({
        projectIds,
        ...(query.ownerId === undefined ? {} : { ownerId: query.ownerId }),
        ...page,
      }),
    );
    const items: KeyView[] = [];
    for (const key of page.items) items.push(await this.#viewOf(key));
    return { items, nextCursor: page.nextCursor };
  }

  /** Changes a key; the change applies to this process's next verification at once. */
  async updateKey(principal: Principal, id: string, patch: UpdateKeyInput): Promise<KeyView> {
    requirePermission(principal, "keys:update");
    const existing = await this.#findVisible(principal, id);
    if (existing.revokedAt !== null) {
      throw new KeywardError("CONFLICT", "A revoked key cannot be changed.");
    }
    throwIfInvalid(checkKeyFields(patch));
    const settings = await this.#options.projects.settingsFor(existing.projectId);
    const policies = settings.policies;
    if (patch.expiresAt !== undefined) checkMaxLifetime(patch.expiresAt, existing.createdAt, policies);
    const now = this.#options.clock.now();
    const { quota, ...rest } = patch;
    const normalized: KeyPatch = {
      ...rest,
      ...(patch.scopes === undefined ? {} : { scopes: dedupe(patch.scopes) }),
      ...(patch.roles === undefined ? {} : { roles: await this.#roleIdsFor(patch.roles) }),
      ...(patch.ipAllowlist == null ? {} : { ipAllowlist: normalizeIpAllowlist(patch.ipAllowlist) }),
      ...(quota === undefined
        ? {}
        : {
            quota:
              quota === null
                ? null
                : newQuota(existing.quota?.poolId ?? existing.id, quota, settings.timezone, now),
          }),
    };
    const updated = await this.#options.store.updateKey(id, normalized, now, (key) => [
      keyEvent("key.updated", key, now),
      keyAudit(principal, "key.updated", key, changeDiff(existing, key, KEY_AUDIT_FIELDS), now),
    ]);
    // A new expiry may revive an imported key that expired before its first verification (no longer pending).
    if (patch.expiresAt !== undefined && this.#imports.migrations) this.#imports.note();
    await this.#changed([id]);
    if (updated === null) throw notFound();
    // The limiter holds the live balance: a new quota replaces it there too.
    if (updated.quota !== null && quota != null) {
      await this.#options.limits.adjust(updated, { set: updated.quota.remaining }, settings.timezone, now);
    }
    this.#options.onEvents?.();
    return this.#view(updated, policies, now);
  }

  /**
   * The key as a caller who may change it sees it, to build a relative change from (add a scope, keep a refill).
   * Needs only `keys:update`: updateKey() returns the same record, so this shows nothing more.
   */
  async findKeyToChange(principal: Principal, id: string): Promise<KeyView> {
    requirePermission(principal, "keys:update");
    return this.#viewOf(await this.#findVisible(principal, id));
  }

  /** Changes a key's quota balance: set it, or add to or take from it (never below zero). */
  async adjustQuota(principal: Principal, id: string, adjustment: QuotaAdjustment): Promise<KeyView> {
    requirePermission(principal, "keys:update");
    const key = await this.#findVisible(principal, id);
    if (key.revokedAt !== null) throw new KeywardError("CONFLICT", "A revoked key cannot be changed.");
    const [field, amount] = Object.entries(adjustment)[0] as [string, number];
    if (!Number.isSafeInteger(amount) || amount < 0) {
      throw invalidField(`/${field}`, "must be a whole number from 0");
    }
    const settings = await this.#options.projects.settingsFor(key.projectId);
    const now = this.#options.clock.now();
    const balance = await this.#options.limits.adjust(key, adjustment, settings.timezone, now);
    await this.#options.limits.balances.flush();
    // The balance lives in the limiter, not in a store transaction: the entry follows the change.
    await this.#options.audit?.appendAuditEntries([
      keyAudit(principal, "key.quota_adjusted", key, { adjustment: { [field]: amount }, ...balance }, now),
    ]);
    await this.#changed([id]);
    const view = this.#view(key, settings.policies, now);
    return { ...view, quota: key.quota === null ? null : { ...key.quota, ...balance } };
  }

  /** Revokes a key for good; revoking again returns the record unchanged. */
  async revokeKey(principal: Principal, id: string, reason: string | null): Promise<KeyView> {
    requirePermission(principal, "keys:revoke");
    await this.#findVisible(principal, id);
    const now = this.#options.clock.now();
    const revoked = await this.#options.store.revokeKey(id, reason, now, (key) => [
      keyEvent("key.revoked", key, now),
      keyAudit(principal, "key.revoked", key, { revokedReason: key.revokedReason }, now),
    ]);
    await this.#changed([id]);
    if (revoked === null) throw notFound();
    this.#options.onEvents?.();
    return this.#viewOf(revoked);
  }

  /**
   * Revokes every unrevoked key of an owner or of a project (or of an owner within a project) that the
   * principal can see, in batches; returns how many it revoked.
   */
  async revokeKeys(
    principal: Principal,
    input: { projectId?: string; ownerId?: string; reason?: string | null },
  ): Promise<{ revoked: number }> {
    requirePermission(principal, "keys:revoke");
    if (input.projectId === undefined && input.ownerId === undefined) {
      throw invalidField("/", "must name an ownerId or a projectId");
    }
    let projectIds = principal.projectIds;
    if (input.projectId !== undefined) {
      projectIds = [(await this.#options.projects.resolveProject(principal, input.projectId)).id];
    }
    return this.#revokeInBatches(principal, projectIds, input);
  }

  /**
   * Deletes a project (see ProjectService.deleteProject) and revokes its keys, each with its key.revoked event:
   * the project's deletion stops them verifying at once, the revocations make it last (and show in each key's
   * record). Needs `projects:write` and `keys:revoke`.
   */
  async deleteProject(principal: Principal, id: string): Promise<{ revoked: number }> {
    requirePermission(principal, "projects:write");
    // A missing project is a 404 before the second permission is asked for, as for any project route.
    await this.#options.projects.resolveProject(principal, id);
    requirePermission(principal, "keys:revoke");
    const project = await this.#options.projects.deleteProject(principal, id);
    return this.#revokeInBatches(principal, [project.id], {
      projectId: project.id,
      reason: "project deleted",
    });
  }

  /**
   * Erases a key for good (Unkey's `permanent` deletion): its record and what belongs to it go, its audit
   * entries stay, and every node stops finding it within a second. Needs `keys:revoke`.
   */
  async deleteKey(principal: Principal, id: string): Promise<void> {
    requirePermission(principal, "keys:revoke");
    await this.#findVisible(principal, id);
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deleteKey(id, (key) => [
      keyEvent("key.deleted", key, now),
      keyAudit(principal, "key.deleted", key, { revokedAt: key.revokedAt }, now),
    ]);
    await this.#changed([id]);
    if (deleted === null) throw notFound();
    this.#options.onEvents?.();
  }

  async #revokeInBatches(
    principal: Principal,
    projectIds: readonly string[] | null,
    input: { projectId?: string; ownerId?: string; reason?: string | null },
  ): Promise<{ revoked: number }> {
    let revoked = 0;
    for (;;) {
      const now = this.#options.clock.now();
      const batch = await this.#options.store.revokeKeys(
        {
          projectIds,
          ...(input.ownerId === undefined ? {} : { ownerId: input.ownerId }),
          reason: input.reason ?? null,
          nowMs: now,
          limit: BULK_REVOKE_BATCH,
        },
        (key) => [
          keyEvent("key.revoked", key, now),
          keyAudit(
            principal,
            "key.revoked",
            key,
            {
              revokedReason: key.revokedReason,
              bulk: toCanonical({ projectId: input.projectId ?? null, ownerId: input.ownerId ?? null }),
            },
            now,
          ),
        ],
      );
      await this.#changed(batch.map((key) => key.id));
      revoked += batch.length;
      if (batch.length > 0) this.#options.onEvents?.();
      // Only an empty batch means none are left: a concurrent revocation can take some of a batch's candidates
      // from under it, so a short batch is no proof that this one has reached the end.
      if (batch.length === 0) return { revoked };
    }
  }

  /**
   * Replaces a key with a new one that has the same project, owner, name, scopes, meta, enabled state and
   * lifetime; the old key keeps working for `gracePeriodSeconds` (or until its own expiry, if sooner). Returns
   * the new key's plaintext once.
   */
  async rotateKey(
    principal: Principal,
    id: string,
    input: { gracePeriodSeconds?: number; keepPrefix?: boolean },
  ): Promise<{ key: string; record: KeyView; previous: KeyView }> {
    requirePermission(principal, "keys:rotate");
    const grace = input.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS) {
      throw invalidField(
        "/gracePeriodSeconds",
        `must be an integer from 0 to ${MAX_GRACE_PERIOD_SECONDS} (30 days)`,
      );
    }
    const old = await this.#findVisible(principal, id);
    refuseRotation(old);
    const project = await this.#options.projects.resolveProject(principal, old.projectId);
    const policies = await this.#options.projects.policiesFor(project.id);
    const now = this.#options.clock.now();
    // The replacement lives as long as the old key was meant to, within the project's maximum.
    const lifetime = old.expiresAt === null ? null : Math.max(old.expiresAt - old.createdAt, 1);
    let expiresAt = defaultExpiry(now, lifetime === null ? undefined : now + lifetime, policies);
    const latest = latestAllowedExpiry(now, policies);
    if (latest !== null && (expiresAt === null || expiresAt > latest)) expiresAt = latest;
    expiresAt = capExpiry(expiresAt);
    const { key, record } = this.#newKey({
      projectId: project.id,
      // Unkey's reroll keeps the old key's own prefix, which may differ from the project's.
      keyPrefix: input.keepPrefix === true ? prefixOf(old.start) : project.keyPrefix,
      now,
      fields: {
        name: old.name,
        ownerId: old.ownerId,
        scopes: old.scopes,
        roles: old.roles,
        meta: old.meta,
        expiresAt,
        enabled: old.enabled,
        replaces: old.id,
        rateLimits: old.rateLimits,
        ipAllowlist: old.ipAllowlist,
        canary: false,
        // The same poolId: old and new key spend one balance during the grace window, not two.
        quota: old.quota,
      },
    });
    const graceEndsAt = now + grace * 1000;
    const copy = await this.#sealedCopy(project, record.id, key);
    const result = await this.#options.store.rotateKey(
      {
        oldId: old.id,
        replacement: { record, ...this.lookup.digestNew(key), ...copy },
        oldExpiresAt: graceEndsAt,
        nowMs: now,
      },
      (previous, replacement) => [
        keyEvent("key.created", replacement, now),
        // The old key's expiry ends the window: the grace period, or its own expiry if that came sooner.
        keyEvent("key.rotated", previous, now, {
          replacedBy: replacement.id,
          graceEndsAt: iso(previous.expiresAt ?? graceEndsAt),
        }),
        keyAudit(
          principal,
          "key.rotated",
          previous,
          { replacedBy: replacement.id, graceEndsAt: previous.expiresAt ?? graceEndsAt },
          now,
        ),
        keyAudit(principal, "key.created", replacement, createdDiff(replacement, copy), now),
      ],
    );
    await this.#changed([old.id]);
    // Another request may have revoked or rotated the key since it was read above.
    switch (result.outcome) {
      case "not_found":
        throw notFound();
      case "revoked":
        throw cannotRotateRevoked();
      case "already_rotated":
        throw alreadyRotated();
    }
    this.#options.onEvents?.();
    return {
      key,
      record: this.#view(result.replacement, policies, now),
      previous: this.#view(result.old, policies, now),
    };
  }

  /**
   * Verifies a key: format and checksum first (no lookup for a malformed key), then the digest lookup through
   * the cache, then the decision in core. Keys of projects the principal cannot see are NOT_FOUND.
   */
  async verifyKey(principal: Principal, input: VerifyKeyInput): Promise<VerifyKeyResult> {
    requirePermission(principal, "keys:verify");
    const now = this.#options.clock.now();
    const source = input.ip ?? input.sourceIp;
    const guard = this.#options.bruteForce;
    guard?.assertAllowed(source, now);
    // A key imported from another system is in its format, not Keyward's; until its first verification it is
    // stored under its SHA-256, which only the fallback looks up (and only while such keys exist).
    let found =
      parseKey(input.key) === null && !this.#imports.migrations ? null : await this.lookup.find(input.key);
    if (found === null && this.#imports.pending) found = await this.lookup.findImported(input.key);
    if (found?.canary === true) {
      // A honeytoken in use: someone has it who should not. The caller learns nothing (the answer is the one an
      // unknown key gets, brute-force counting included); the alert tells the owner.
      this.#options.alerts?.report({
        type: "canary",
        key: found,
        code: "NOT_FOUND",
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        atMs: now,
      });
    }
    let key = found !== null && !found.canary && canAccessProject(principal, found.projectId) ? found : null;
    const { projects } = this.#options;
    // Synchronously from the cache when fresh: an await per verification is measurable at this rate.
    const settings =
      key === null
        ? null
        : (projects.cachedSettings(key.projectId, now) ?? (await projects.settingsFor(key.projectId)));
    // The key of a deleted project is dead even before the project's keys are all revoked.
    if (settings?.exists === false) key = null;
    if (key === null || settings === null) {
      const projectId = principal.projectIds?.length === 1 ? (principal.projectIds[0] ?? null) : null;
      await guard?.recordFailure({ ...(source === undefined ? {} : { source }), projectId }, now);
      // No key to count it against: counted for the project only when the token is limited to exactly one.
      if (projectId !== null) this.#options.analytics?.record("", projectId, "NOT_FOUND", now);
      return { valid: false, code: "NOT_FOUND" };
    }
    const policies = settings.policies;
    const allowlist = this.#allowlistOf(key, settings);
    // Roles resolve from the in-memory catalogue: no query, unless another node's change made it stale.
    let roles: ResolvedRoles | undefined;
    if (key.roles.length > 0 && this.#options.roles !== undefined) {
      const resolving = this.#options.roles.resolve(key);
      roles = resolving instanceof Promise ? await resolving : resolving;
    }
    const decision = decideVerification(
      key,
      {
        ...(roles === undefined ? {} : { grantedScopes: roles.scopes }),
        ...(input.scopes === undefined ? {} : { scopes: input.scopes }),
        ...(input.scopeQuery === undefined ? {} : { scopeQuery: input.scopeQuery }),
        ...(allowlist === null
          ? {}
          : { ipAllowed: input.ip !== undefined && isIpAllowed(allowlist, input.ip) }),
      },
      now,
    );
    // The owner's identity: synchronously from the cache on a hit (owners without one are cached as null).
    let identity: IdentityRecord | null = null;
    const identities = this.#options.identities;
    if (identities !== undefined && key.ownerId !== null) {
      const cached = identities.cachedIdentity(key.ownerId);
      identity = cached === undefined ? await identities.identityFor(key.ownerId) : cached;
    }
    let limits: LimitOutcome | undefined;
    // Naming limits of a key that has none still goes through charge(), which refuses every unknown name.
    if (decision.valid && (KeyLimits.applies(key, identity) || (input.rateLimits?.length ?? 0) > 0)) {
      limits = await this.#options.limits.charge(key, input, settings.timezone, now, identity);
      if (limits.code !== undefined) {
        decision.valid = false;
        decision.code = limits.code;
      }
    }
    if (decision.valid) this.usage.record(key.id, now);
    if (decision.code === "REVOKED" || decision.code === "EXPIRED") {
      this.#options.alerts?.report({
        type: "dead_key_used",
        key,
        code: decision.code,
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        atMs: now,
      });
    }
    this.#options.analytics?.record(key.id, key.projectId, decision.code, now);
    this.#options.detectors?.observe(key, decision.code, input.ip, now);
    return {
      valid: decision.valid,
      code: decision.code,
      key,
      rotationDue: isRotationDue(key, policies, now),
      ...(roles === undefined || roles.ids.length === 0
        ? {}
        : { roles: roles.names, grantedScopes: roles.scopes }),
      ...(limits === undefined ? {} : limitFields(limits)),
      ...(identity === null ? {} : { identity }),
      ...(decision.missingScopes === undefined ? {} : { missingScopes: decision.missingScopes }),
      ...(decision.valid && key.replacedBy !== null && key.expiresAt !== null
        ? { rotation: { replacedBy: key.replacedBy, expiresAt: key.expiresAt } }
        : {}),
    };
  }

  /** The allowlist that applies to a key, compiled once per cached record: its own, else its project's. */
  #allowlistOf(key: KeyRecord, settings: ProjectSettings): IpAllowlist | null {
    if (key.ipAllowlist === null) return settings.ipAllowlist;
    let compiled = this.#allowlists.get(key);
    if (compiled === undefined) {
      compiled = compileIpAllowlist(key.ipAllowlist);
      this.#allowlists.set(key, compiled);
    }
    return compiled;
  }

  /**
   * For a project with recoverable keys, the key sealed by the KMS (bound to its id) for the store to keep with
   * it in the key's own transaction; nothing otherwise. `project` is read fresh, so the setting applies at once.
   */
  async #sealedCopy(project: ProjectRecord, keyId: string, key: string): Promise<{ sealedCopy?: string }> {
    if (!project.recoverableKeys) return {};
    const kms = this.#options.kms;
    if (kms === undefined) {
      throw new KeywardError("INTERNAL_ERROR", "Recoverable keys need a KMS, and this KeyService has none.");
    }
    const plaintext = Buffer.from(key, "utf8");
    try {
      return { sealedCopy: JSON.stringify(await sealSecret(kms, plaintext, keyCopyContext(keyId))) };
    } finally {
      plaintext.fill(0);
    }
  }

  /** Quota balances waiting to be written back to the store. */
  get quotaBalances(): KeyLimits["balances"] {
    return this.#options.limits.balances;
  }

  /** Drops keys changed by another node, or outside this service, from this node's verification cache. */
  forgetCached(ids: readonly string[]): void {
    for (const id of ids) this.#cache.deleteById(id);
  }

  /** Drops every cached key: changes made elsewhere may have been missed. */
  forgetAllCached(): void {
    this.#cache.clear();
  }

  /** After a change committed: drops the keys here and tells the other nodes. */
  async #changed(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.forgetCached(ids);
    await this.#options.announceChanges?.(ids);
  }

  #newKey(input: {
    projectId: string;
    keyPrefix: string;
    now: number;
    fields: Pick<
      KeyRecord,
      | "name"
      | "ownerId"
      | "scopes"
      | "roles"
      | "meta"
      | "expiresAt"
      | "enabled"
      | "replaces"
      | "rateLimits"
      | "quota"
      | "ipAllowlist"
      | "canary"
    >;
  }): { key: string; record: KeyRecord } {
    const random = this.#options.randomBytes;
    const key = generateKey({
      prefix: input.keyPrefix,
      bytes: this.#options.keyBytes,
      ...(random === undefined ? {} : { randomBytes: random }),
    });
    const record: KeyRecord = {
      id: newId("key", { now: input.now, ...(random === undefined ? {} : { randomBytes: random }) }),
      projectId: input.projectId,
      start: keyStart(key),
      ...input.fields,
      createdAt: input.now,
      updatedAt: input.now,
      revokedAt: null,
      revokedReason: null,
      lastUsedAt: null,
      replacedBy: null,
    };
    return { key, record };
  }

  #view(key: KeyRecord, policies: KeyPolicies, now: number): KeyView {
    // A deleted role's id stays on its keys, where it grants nothing: it is not shown either.
    const roles = key.roles.length === 0 ? key.roles : (this.#options.roles?.liveRoleIds(key.roles) ?? []);
    return { ...key, roles, rotationDue: isRotationDue(key, policies, now) };
  }

  /** Role ids for the role names or ids a caller gave; a 400 when one does not exist or there are too many. */
  async #roleIdsFor(refs: readonly string[], pointer = "/roles"): Promise<string[]> {
    if (this.#options.roles === undefined) {
      if (refs.length === 0) return [];
      throw invalidField(pointer, "must be empty: this Keyward has no role catalogue");
    }
    return this.#options.roles.roleIdsFor(refs, pointer);
  }

  async #viewOf(key: KeyRecord): Promise<KeyView> {
    return this.#view(
      key,
      await this.#options.projects.policiesFor(key.projectId),
      this.#options.clock.now(),
    );
  }

  async #findVisible(principal: Principal, id: string): Promise<KeyRecord> {
    const key = await this.#options.store.findKey(id);
    if (key === null || !canAccessProject(principal, key.projectId)) throw notFound();
    return key;
  }
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No key has this id.");
}

/** Throws when a key cannot be rotated: revoked, or rotated already (its replacement is the one to rotate). */
function refuseRotation(key: Pick<KeyRecord, "revokedAt" | "replacedBy" | "canary">): void {
  if (key.revokedAt !== null) throw cannotRotateRevoked();
  // A honeytoken is never handed out to use, so there is nothing to replace it with.
  if (key.canary) throw new KeywardError("CONFLICT", "A canary key cannot be rotated.");
  if (key.replacedBy !== null) throw alreadyRotated();
}

function cannotRotateRevoked(): KeywardError {
  return new KeywardError("CONFLICT", "A revoked key cannot be rotated.");
}

function alreadyRotated(): KeywardError {
  return new KeywardError(
    "KEY_ALREADY_ROTATED",
    "This key has already been rotated; rotate its replacement (replacedBy) instead.",
  );
}

/** Runs a check of the key at `index` of an import: the field errors it throws point into `/keys/<index>`. */
function atKey<T>(index: number, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof KeywardError) || error.errors === undefined) throw error;
    throw new KeywardError(error.code, error.message, {
      cause: error,
      errors: error.errors.map((e) => ({ ...e, pointer: `/keys/${index}${e.pointer}` })),
    });
  }
}

/** What is wrong with the fields of a new key (created or imported) that a JSON schema cannot tell. */
function newKeyFieldErrors(input: CreateKeyInput, nowMs: number): FieldError[] {
  const errors = checkKeyFields(input);
  if (input.expiresAt != null && input.expiresAt <= nowMs) {
    errors.push({ pointer: "/expiresAt", detail: "expiresAt must be in the future." });
  }
  if (input.prefix !== undefined && !isValidKeyPrefix(input.prefix)) {
    errors.push({ pointer: "/prefix", detail: `prefix must match ${KEY_PREFIX_PATTERN}.` });
  }
  return errors;
}

/**
 * A new key's expiry under the project's policies; throws POLICY_VIOLATION past its maxLifetime. An explicit
 * null asks for a key that never expires, which a maxLifetime refuses; only an absent expiresAt takes the
 * project's default.
 */
function newKeyExpiry(
  expiresAt: number | null | undefined,
  nowMs: number,
  policies: KeyPolicies,
): number | null {
  const expiry = expiresAt === null ? null : capExpiry(defaultExpiry(nowMs, expiresAt, policies));
  checkMaxLifetime(expiry, nowMs, policies);
  return expiry;
}

/** Throws POLICY_VIOLATION when an expiry breaks the project's maxLifetime for a key created at `createdAt`. */
function checkMaxLifetime(expiresAt: number | null, createdAt: number, policies: KeyPolicies): void {
  const latest = latestAllowedExpiry(createdAt, policies);
  if (latest === null) return;
  if (expiresAt === null || expiresAt > latest) {
    const detail =
      expiresAt === null
        ? "The project's maxLifetime policy requires every key to expire; expiresAt cannot be null."
        : `The project's maxLifetime policy allows expiresAt up to ${iso(latest)} for this key.`;
    throw new KeywardError("POLICY_VIOLATION", detail, { errors: [{ pointer: "/expiresAt", detail }] });
  }
}

/** A new quota balance for the current refill period. */
function newQuota(poolId: string, input: QuotaInput, timeZone: string, nowMs: number): KeyQuota {
  const refill = input.refill ?? null;
  return {
    poolId,
    remaining: input.remaining,
    refill,
    refilledAt: refill === null ? 0 : latestRefillBoundary(nowMs, refill.interval, timeZone),
  };
}

/** The verify result's limit fields, only those that apply. */
function limitFields(limits: LimitOutcome): Pick<VerifyKeyResult, "rateLimits" | "quota" | "degraded"> {
  return {
    ...(limits.rateLimits.length === 0 ? {} : { rateLimits: limits.rateLimits }),
    ...(limits.quota === undefined ? {} : { quota: limits.quota }),
    ...(limits.degraded === undefined ? {} : { degraded: limits.degraded }),
  };
}

function capExpiry(expiresAt: number | null): number | null {
  return expiresAt === null ? null : Math.min(expiresAt, LATEST_EXPIRY_MS);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The prefix of a key from its stored `start` ("prefix_" then body characters; prefixes may hold "_"). */
function prefixOf(start: string): string {
  return start.slice(0, start.lastIndexOf("_"));
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The audit diff of a new key: its audited fields, and whether Keyward kept a copy it can reveal. */
function createdDiff(key: KeyRecord, copy: { sealedCopy?: string }): AuditEntryContent["diff"] {
  const diff = recordDiff(key, KEY_AUDIT_FIELDS);
  return copy.sealedCopy === undefined ? diff : { ...diff, recoverable: true };
}

/** The audit entry of a change to one key. */
function keyAudit(
  principal: Principal,
  action: string,
  key: KeyRecord,
  diff: AuditEntryContent["diff"],
  nowMs: number,
): AuditEntryContent {
  return auditEntry(
    principal,
    { action, target: { type: "key", id: key.id }, projectId: key.projectId, diff },
    nowMs,
  );
}
