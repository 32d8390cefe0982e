import { createHash } from "node:crypto";
import type { AuditEntryContent } from "@keyward/core/audit-chain.js";
import type { RateLimitRule } from "@keyward/core/key-record.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { LRUCache } from "lru-cache";
import { auditEntry, changeDiff, recordDiff } from "../audit/audit-entry.js";
import type { IdentityPatch, IdentityRecord, IdentityStore } from "../store/identity-store.js";
import type { Clock } from "./clock.js";
import { checkKeyFields, throwIfInvalid } from "./key-input-rules.js";
import { listPage, type Page } from "./page.js";
import { type Principal, requirePermission } from "./principal.js";

/** Longest externalId: the longest key `ownerId`, so every owner can have an identity. */
export const MAX_EXTERNAL_ID_LENGTH = 255;
/** Longest `search` of a list. */
export const MAX_IDENTITY_SEARCH_LENGTH = 255;

/** The fields of an identity the audit log shows. */
const IDENTITY_AUDIT_FIELDS = [
  "externalId",
  "meta",
  "rateLimits",
] as const satisfies readonly (keyof IdentityRecord)[];

/**
 * The id of the identity of an owner: `id_` + 16 base64url characters of a SHA-256 of the externalId. Derived,
 * not random, so a key shows its identity's id before (and without) the record, and every node agrees on it.
 */
export function identityIdOf(externalId: string): string {
  const hash = createHash("sha256").update(`identity\u0000${externalId}`).digest("base64url").slice(0, 16);
  return `id_${hash}`;
}

/** What verification asks of identities: synchronously from the cache when it can, from the store otherwise. */
export interface IdentityLookup {
  /** The cached identity of an owner: a record, null when it has none, undefined when not cached (or stale). */
  cachedIdentity(externalId: string): IdentityRecord | null | undefined;
  /** The identity of an owner, or null; read through the cache. */
  identityFor(externalId: string): Promise<IdentityRecord | null>;
}

/** What a caller sets when creating an identity. */
export interface CreateIdentityInput {
  externalId: string;
  meta?: Record<string, unknown>;
  rateLimits?: RateLimitRule[];
}

/** Options for {@link IdentityService}. */
export interface IdentityServiceOptions {
  store: IdentityStore;
  clock: Clock;
  cacheMaxEntries: number;
  cacheTtlMs: number;
  /** Tells the other nodes which externalIds' identities this node changed, once committed; never rejects. */
  announceChanges?(externalIds: readonly string[]): Promise<void>;
}

/** A cached answer: the identity, or null for an owner without one (so owners without identities cost no query). */
interface CachedIdentity {
  identity: IdentityRecord | null;
}

/**
 * Creates, reads, changes and deletes identities, and serves them to verification from a per-node cache keyed
 * by externalId (positive and negative entries), dropped on every change here and, through the invalidation bus,
 * on the other nodes.
 */
export class IdentityService implements IdentityLookup {
  readonly #options: IdentityServiceOptions;
  readonly #cache: LRUCache<string, CachedIdentity> | null;
  /** Counts drops: a store read that a drop overtook is not cached (it may predate the change). */
  #generation = 0;

  constructor(options: IdentityServiceOptions) {
    this.#options = options;
    this.#cache =
      options.cacheMaxEntries === 0
        ? null
        : new LRUCache<string, CachedIdentity>({
            max: options.cacheMaxEntries,
            ttl: options.cacheTtlMs === 0 ? undefined : options.cacheTtlMs,
            perf: { now: () => options.clock.now() },
            ttlResolution: 0,
          });
  }

  cachedIdentity(externalId: string): IdentityRecord | null | undefined {
    return this.#cache?.get(externalId)?.identity;
  }

  async identityFor(externalId: string): Promise<IdentityRecord | null> {
    const cached = this.#cache?.get(externalId);
    if (cached !== undefined) return cached.identity;
    const generation = this.#generation;
    const identity = await this.#options.store.findIdentityByExternalId(externalId);
    if (generation === this.#generation) this.#cache?.set(externalId, { identity });
    return identity;
  }

  /** Creates an identity; CONFLICT when its externalId has one. Needs an instance-wide token. */
  async createIdentity(principal: Principal, input: CreateIdentityInput): Promise<IdentityRecord> {
    requirePermission(principal, "identities:write");
    refuseProjectLimited(principal);
    checkExternalId(input.externalId);
    throwIfInvalid(checkIdentityFields(input));
    const now = this.#options.clock.now();
    const identity: IdentityRecord = {
      id: identityIdOf(input.externalId),
      externalId: input.externalId,
      meta: input.meta ?? {},
      rateLimits: normalizeRules(input.rateLimits ?? []),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.#options.store.createIdentity(identity, [
        identityAudit(
          principal,
          "identity.created",
          identity,
          recordDiff(identity, IDENTITY_AUDIT_FIELDS),
          now,
        ),
      ]);
    } catch (error) {
      if (error instanceof KeywardError && error.code === "CONFLICT") {
        throw new KeywardError("CONFLICT", "An identity with this externalId already exists.", {
          cause: error,
        });
      }
      throw error;
    }
    await this.#changed([identity.externalId]);
    return identity;
  }

  /**
   * Creates an empty identity for an owner that has none (Unkey's createKey with a new externalId does); nothing
   * when it has one. Called after a key change the principal was allowed to make: an empty identity grants and
   * limits nothing, so it needs no identity permission.
   */
  async ensureIdentity(principal: Principal, externalId: string): Promise<void> {
    if ((await this.identityFor(externalId)) !== null) return;
    const now = this.#options.clock.now();
    const identity: IdentityRecord = {
      id: identityIdOf(externalId),
      externalId,
      meta: {},
      rateLimits: [],
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.#options.store.ensureIdentity(identity, [
      identityAudit(
        principal,
        "identity.created",
        identity,
        recordDiff(identity, IDENTITY_AUDIT_FIELDS),
        now,
      ),
    ]);
    if (created) await this.#changed([externalId]);
  }

  /** The identity with this id or, failing that, this externalId; NOT_FOUND otherwise. */
  async getIdentity(principal: Principal, ref: string): Promise<IdentityRecord> {
    requirePermission(principal, "identities:read");
    return this.#resolve(ref);
  }

  /** Identities in externalId order, optionally only those whose id or externalId contains `search`. */
  async listIdentities(
    principal: Principal,
    query: { limit?: number; cursor?: string; search?: string },
  ): Promise<Page<IdentityRecord>> {
    requirePermission(principal, "identities:read");
    const search = query.search === undefined || query.search === "" ? undefined : query.search;
    if (search !== undefined && search.length > MAX_IDENTITY_SEARCH_LENGTH) {
      throw invalidField("/search", `must be at most ${MAX_IDENTITY_SEARCH_LENGTH} characters`);
    }
    // The cursor is the last externalId, so pages follow the list's order.
    const page = await listPage(
      query.limit,
      query.cursor,
      async (q) =>
        (
          await this.#options.store.listIdentities({
            limit: q.limit,
            ...(q.after === undefined ? {} : { after: q.after }),
            ...(search === undefined ? {} : { search }),
          })
        ).map((identity) => ({ id: identity.externalId, identity })),
      { maxIdLength: MAX_EXTERNAL_ID_LENGTH },
    );
    return { items: page.items.map((item) => item.identity), nextCursor: page.nextCursor };
  }

  /** Replaces meta and/or rate limits; the change applies to the next verification on every node. */
  async updateIdentity(principal: Principal, ref: string, patch: IdentityPatch): Promise<IdentityRecord> {
    requirePermission(principal, "identities:write");
    refuseProjectLimited(principal);
    throwIfInvalid(checkIdentityFields(patch));
    const existing = await this.#resolve(ref);
    const now = this.#options.clock.now();
    const normalized: IdentityPatch = {
      ...(patch.meta === undefined ? {} : { meta: patch.meta }),
      ...(patch.rateLimits === undefined ? {} : { rateLimits: normalizeRules(patch.rateLimits) }),
    };
    const updated = await this.#options.store.updateIdentity(existing.id, normalized, now, (identity) => [
      identityAudit(
        principal,
        "identity.updated",
        identity,
        changeDiff(existing, identity, IDENTITY_AUDIT_FIELDS),
        now,
      ),
    ]);
    if (updated === null) throw notFound();
    await this.#changed([updated.externalId]);
    return updated;
  }

  /** Deletes an identity; its keys keep their owner and lose its meta and shared limits. */
  async deleteIdentity(principal: Principal, ref: string): Promise<void> {
    requirePermission(principal, "identities:write");
    refuseProjectLimited(principal);
    const existing = await this.#resolve(ref);
    const now = this.#options.clock.now();
    const deleted = await this.#options.store.deleteIdentity(existing.id, [
      identityAudit(principal, "identity.deleted", existing, { externalId: existing.externalId }, now),
    ]);
    if (!deleted) throw notFound();
    await this.#changed([existing.externalId]);
  }

  /** Drops the identities of these externalIds, changed by another node, from this node's cache. */
  forgetCached(externalIds: readonly string[]): void {
    this.#generation += 1;
    for (const externalId of externalIds) this.#cache?.delete(externalId);
  }

  /** Drops every cached identity: changes made elsewhere may have been missed. */
  forgetAllCached(): void {
    this.#generation += 1;
    this.#cache?.clear();
  }

  async #changed(externalIds: readonly string[]): Promise<void> {
    this.forgetCached(externalIds);
    await this.#options.announceChanges?.(externalIds);
  }

  async #resolve(ref: string): Promise<IdentityRecord> {
    const store = this.#options.store;
    const identity =
      (ref.startsWith("id_") ? await store.findIdentity(ref) : null) ??
      (await store.findIdentityByExternalId(ref));
    if (identity === null) throw notFound();
    return identity;
  }
}

function notFound(): KeywardError {
  return new KeywardError("NOT_FOUND", "No identity has this id or externalId.");
}

/**
 * Identities are instance-wide (their limits apply to keys of every project): a token limited to some projects
 * must not change them.
 */
function refuseProjectLimited(principal: Principal): void {
  if (principal.projectIds !== null) {
    throw new KeywardError(
      "FORBIDDEN",
      "A token limited to some projects cannot change identities, which are instance-wide.",
    );
  }
}

/** Rules with exactly their three fields, in one order (responses serialize them as stored). */
function normalizeRules(rules: readonly RateLimitRule[]): RateLimitRule[] {
  return rules.map((rule) => ({ name: rule.name, limit: rule.limit, windowMs: rule.windowMs }));
}

function checkExternalId(externalId: string): void {
  if (externalId.length === 0 || externalId.length > MAX_EXTERNAL_ID_LENGTH) {
    throw invalidField("/externalId", `must be 1 to ${MAX_EXTERNAL_ID_LENGTH} characters`);
  }
}

/** The key rules for meta (size, depth) and rate limits (at most 10, unique names, countable), for an identity. */
function checkIdentityFields(fields: { meta?: unknown; rateLimits?: readonly RateLimitRule[] }) {
  return checkKeyFields({
    ...(fields.meta === undefined ? {} : { meta: fields.meta }),
    ...(fields.rateLimits === undefined ? {} : { rateLimits: fields.rateLimits }),
  }).map((error) => ({
    ...error,
    detail: error.detail.replace("A key has", "An identity has").replace("on a key", "on an identity"),
  }));
}

function identityAudit(
  principal: Principal,
  action: string,
  identity: IdentityRecord,
  diff: AuditEntryContent["diff"],
  nowMs: number,
): AuditEntryContent {
  // Instance-wide: no project.
  return auditEntry(
    principal,
    { action, target: { type: "identity", id: identity.id }, projectId: null, diff },
    nowMs,
  );
}
