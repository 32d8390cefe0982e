import { digestKey, digestsEqual } from "@keyward/core/digest-key.js";
import { newId } from "@keyward/core/ids.js";
import { generateKey, keyStart, parseKey } from "@keyward/core/key-format.js";
import type { KeyRecord } from "@keyward/core/key-record.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { decideVerification, type VerificationCode } from "@keyward/core/verification.js";
import type { KeyStore } from "../store/key-store.js";
import type { KeyPatch } from "../store/records.js";
import type { Clock } from "./clock.js";
import { DigestCache } from "./digest-cache.js";
import { checkKeyFields, throwIfInvalid } from "./key-input-rules.js";
import { listPage, type Page } from "./page.js";
import { canAccessProject, type Principal, requirePermission } from "./principal.js";
import type { ProjectService } from "./project-service.js";
import { UsageBatcher } from "./usage-batcher.js";

/** What a caller may set when creating a key. */
export interface CreateKeyInput {
  projectId?: string;
  name?: string | null;
  ownerId?: string | null;
  scopes?: string[];
  meta?: Record<string, unknown>;
  expiresAt?: number | null;
  enabled?: boolean;
}

/** What a caller may change on a key. */
export type UpdateKeyInput = KeyPatch;

/** A verification request. The key is only ever held in memory for the duration of the call. */
export interface VerifyKeyInput {
  key: string;
  scopes?: string[];
  ip?: string;
}

/** A verification outcome; key details are present whenever the key was found. */
export interface VerifyKeyResult {
  valid: boolean;
  code: VerificationCode;
  key?: KeyRecord;
  missingScopes?: string[];
}

/** Options for {@link KeyService}. */
export interface KeyServiceOptions {
  store: KeyStore;
  projects: ProjectService;
  pepper: Buffer;
  clock: Clock;
  keyBytes: number;
  cacheMaxEntries: number;
  cacheTtlMs: number;
  randomBytes?: (size: number) => Buffer;
  onUsageWriteError?(error: unknown): void;
}

/** Issues, lists, changes, revokes and verifies API keys. The only way routes and commands reach keys. */
export class KeyService {
  readonly usage: UsageBatcher;
  readonly #options: KeyServiceOptions;
  readonly #cache: DigestCache<KeyRecord>;

  constructor(options: KeyServiceOptions) {
    this.#options = options;
    this.#cache = new DigestCache({
      maxEntries: options.cacheMaxEntries,
      ttlMs: options.cacheTtlMs,
      clock: options.clock,
    });
    this.usage = new UsageBatcher({
      write: (entries) => options.store.recordKeyUsage(entries),
      ...(options.onUsageWriteError === undefined ? {} : { onError: options.onUsageWriteError }),
    });
  }

  /** Creates a key and returns its plaintext, which is never stored and never shown again. */
  async createKey(principal: Principal, input: CreateKeyInput): Promise<{ key: string; record: KeyRecord }> {
    requirePermission(principal, "keys:create");
    const project = await this.#options.projects.resolveProject(principal, input.projectId);
    const now = this.#options.clock.now();
    const errors = checkKeyFields(input);
    if (input.expiresAt != null && input.expiresAt <= now) {
      errors.push({ pointer: "/expiresAt", detail: "expiresAt must be in the future." });
    }
    throwIfInvalid(errors);

    const random = this.#options.randomBytes;
    const key = generateKey({
      prefix: project.keyPrefix,
      bytes: this.#options.keyBytes,
      ...(random === undefined ? {} : { randomBytes: random }),
    });
    const record: KeyRecord = {
      id: newId("key", { now, ...(random === undefined ? {} : { randomBytes: random }) }),
      projectId: project.id,
      name: input.name ?? null,
      ownerId: input.ownerId ?? null,
      start: keyStart(key),
      scopes: dedupe(input.scopes ?? []),
      meta: input.meta ?? {},
      createdAt: now,
      updatedAt: now,
      expiresAt: input.expiresAt ?? null,
      enabled: input.enabled ?? true,
      revokedAt: null,
      revokedReason: null,
      lastUsedAt: null,
    };
    await this.#options.store.createKey({ record, digest: digestKey(key, this.#options.pepper) });
    return { key, record };
  }

  /** The key with this id, if the principal may see it; NOT_FOUND otherwise (a hidden key looks absent). */
  async getKey(principal: Principal, id: string): Promise<KeyRecord> {
    requirePermission(principal, "keys:read");
    return this.#findVisible(principal, id);
  }

  /** Keys in creation order, filtered by project and owner, one page at a time. */
  async listKeys(
    principal: Principal,
    query: { projectId?: string; ownerId?: string; limit?: number; cursor?: string },
  ): Promise<Page<KeyRecord>> {
    requirePermission(principal, "keys:read");
    let projectIds: readonly string[] | null = principal.projectIds;
    if (query.projectId !== undefined) {
      projectIds = canAccessProject(principal, query.projectId) ? [query.projectId] : [];
    }
    return listPage(query.limit, query.cursor, (page) =>
      this.#options.store.listKeys({
        projectIds,
        ...(query.ownerId === undefined ? {} : { ownerId: query.ownerId }),
        ...page,
      }),
    );
  }

  /** Changes a key; the change applies to this process's next verification at once. */
  async updateKey(principal: Principal, id: string, patch: UpdateKeyInput): Promise<KeyRecord> {
    requirePermission(principal, "keys:update");
    const existing = await this.#findVisible(principal, id);
    if (existing.revokedAt !== null) {
      throw new KeywardError("CONFLICT", "A revoked key cannot be changed.");
    }
    throwIfInvalid(checkKeyFields(patch));
    const normalized = patch.scopes === undefined ? patch : { ...patch, scopes: dedupe(patch.scopes) };
    const updated = await this.#options.store.updateKey(id, normalized, this.#options.clock.now());
    this.#cache.deleteById(id);
    if (updated === null) throw notFound();
    return updated;
  }

  /** Revokes a key for good; revoking again returns the record unchanged. */
  async revokeKey(principal: Principal, id: string, reason: string | null): Promise<KeyRecord> {
    requirePermission(principal, "keys:revoke");
    await this.#findVisible(principal, id);
    const revoked = await this.#options.store.revokeKey(id, reason, this.#options.clock.now());
    this.#cache.deleteById(id);
    if (revoked === null) throw notFound();
    return revoked;
  }

  /**
   * Verifies a key: format and checksum first (no lookup for a malformed key), then the digest lookup through
   * the cache, then the decision in core. Keys of projects the principal cannot see are NOT_FOUND.
   */
  async verifyKey(principal: Principal, input: VerifyKeyInput): Promise<VerifyKeyResult> {
    requirePermission(principal, "keys:verify");
    if (parseKey(input.key) === null) return { valid: false, code: "NOT_FOUND" };
    const now = this.#options.clock.now();
    const found = await this.#lookup(input.key);
    const key = found !== null && canAccessProject(principal, found.projectId) ? found : null;
    const decision = decideVerification(key, input.scopes === undefined ? {} : { scopes: input.scopes }, now);
    if (key === null) return { valid: false, code: decision.code };
    if (decision.valid) this.usage.record(key.id, now);
    return {
      valid: decision.valid,
      code: decision.code,
      key,
      ...(decision.missingScopes === undefined ? {} : { missingScopes: decision.missingScopes }),
    };
  }

  async #lookup(key: string): Promise<KeyRecord | null> {
    const digest = digestKey(key, this.#options.pepper);
    const cached = this.#cache.get(digest);
    if (cached !== undefined) return cached;
    const stored = await this.#options.store.findKeyByDigest(digest);
    // The index found it by equality; compare again in constant time so no timing depends on the stored bytes.
    if (stored === null || !digestsEqual(stored.digest, digest)) return null;
    this.#cache.set(digest, stored.record);
    return stored.record;
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

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}
