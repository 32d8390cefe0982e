import { newId } from "@keyward/core/ids.js";
import { generateKey, keyStart, parseKey } from "@keyward/core/key-format.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { coversPermissions } from "@keyward/core/permissions.js";
import { mapUnkeyPermissions } from "@keyward/core/unkey-permissions.js";
import { auditEntry, recordDiff } from "../audit/audit-entry.js";
import { TOKEN_AUDIT_FIELDS } from "../audit/audited-fields.js";
import type { PepperRing } from "../kms/pepper-ring.js";
import type { KeyStore } from "../store/key-store.js";
import type { Redigest } from "../store/pepper-store.js";
import type { NewToken, TokenRecord } from "../store/records.js";
import type { Clock } from "./clock.js";
import { DigestCache } from "./digest-cache.js";
import { throwIfInvalid } from "./key-input-rules.js";
import { filteredFetch, listPage, type Page } from "./page.js";
import { PepperedLookup } from "./peppered-lookup.js";
import type { Principal } from "./principal.js";
import { requirePermission } from "./principal.js";
import type { ProjectService } from "./project-service.js";
import { UsageBatcher } from "./usage-batcher.js";

/** Admin tokens are keys of their own kind, with this prefix. */
export const TOKEN_PREFIX = "kwr";

/** Options for {@link TokenService}. */
export interface TokenServiceOptions {
  store: KeyStore;
  projects: ProjectService;
  /** The digest pepper's live versions: tokens are found under any, digested anew under the current one. */
  peppers: PepperRing;
  /** Writes tokens re-digested under the current pepper (`PepperStore.redigestTokens`). */
  redigest(swaps: Redigest[]): Promise<number>;
  /** Tokens re-digested with the current pepper, once written. */
  onRedigested?(count: number): void;
  clock: Clock;
  cacheMaxEntries: number;
  cacheTtlMs: number;
  onUsageWriteError?(error: unknown): void;
  /** Tells the other nodes which of these records this node changed, once committed; never rejects. */
  announceChanges?(ids: readonly string[]): Promise<void>;
}

/** What a caller may set when creating a token. */
export interface CreateTokenInput {
  name: string;
  permissions: string[];
  projectIds?: string[] | null;
}

/** Mints, lists and revokes admin tokens, and authenticates requests by them. */
export class TokenService {
  readonly usage: UsageBatcher;
  readonly #options: TokenServiceOptions;
  readonly #cache: DigestCache<TokenRecord>;
  /** Finds tokens by digest under every live pepper, and re-digests old ones; its batcher runs with `usage`. */
  readonly lookup: PepperedLookup<TokenRecord>;

  constructor(options: TokenServiceOptions) {
    this.#options = options;
    this.#cache = new DigestCache({
      maxEntries: options.cacheMaxEntries,
      ttlMs: options.cacheTtlMs,
      clock: options.clock,
    });
    this.usage = new UsageBatcher({
      write: (entries) => options.store.recordTokenUsage(entries),
      ...(options.onUsageWriteError === undefined ? {} : { onError: options.onUsageWriteError }),
    });
    const { store } = options;
    this.lookup = new PepperedLookup({
      peppers: options.peppers,
      cache: this.#cache,
      findOne: (digest) => store.findTokenByDigest(digest),
      findAny: (digests) => store.findTokenByAnyDigest(digests),
      redigest: (swaps) => options.redigest(swaps),
      ...(options.onRedigested === undefined ? {} : { onRedigested: options.onRedigested }),
      ...(options.onUsageWriteError === undefined ? {} : { onRedigestError: options.onUsageWriteError }),
    });
  }

  /** The principal behind a bearer token, or null when the token is malformed, unknown or revoked. */
  async authenticate(token: string): Promise<Principal | null> {
    const parsed = parseKey(token);
    if (parsed === null || parsed.prefix !== TOKEN_PREFIX) return null;
    const record = await this.lookup.find(token);
    if (record === null || record.revokedAt !== null) return null;
    this.usage.record(record.id, this.#options.clock.now());
    return {
      tokenId: record.id,
      tokenName: record.name,
      permissions: record.permissions,
      projectIds: record.projectIds,
    };
  }

  /**
   * Mints a token. A token can only mint tokens with permissions it holds itself, limited to projects it can
   * reach itself.
   */
  async createToken(
    principal: Principal,
    input: CreateTokenInput,
  ): Promise<{ token: string; record: TokenRecord }> {
    requirePermission(principal, "tokens:write");
    // Unkey root key names (api.*.create_key, api.<apiId>.read_key, ...) are mapped to Keyward permissions here,
    // so the stored record, and everything that reads it, knows only Keyward's. Each pointer indexes the request
    // as sent, duplicates included; no detail echoes the value: a caller who pastes a token here must not get it
    // back in an error.
    const mapped = mapUnkeyPermissions(input.permissions);
    if (!mapped.ok) {
      const errors = mapped.errors.map((e) => ({ pointer: `/permissions/${e.index}`, detail: e.detail }));
      throw new KeywardError("VALIDATION_ERROR", errors.map((e) => e.detail).join(" "), { errors });
    }
    const { permissions } = mapped;
    const projectIds = tokenProjectIds(input.projectIds, mapped.projectIds);
    assertCovers(principal, { permissions, projectIds });
    if (projectIds !== null && !(await this.#options.projects.allExist(projectIds))) {
      throwIfInvalid([
        input.projectIds == null
          ? { pointer: "/permissions", detail: "Every api.<apiId> permission must name an existing API." }
          : { pointer: "/projectIds", detail: "Every entry of projectIds must name an existing project." },
      ]);
    }
    return this.#mint({ name: input.name, permissions, projectIds, createdBy: principal.tokenId }, principal);
  }

  async listTokens(
    principal: Principal,
    query: { limit?: number; cursor?: string },
  ): Promise<Page<TokenRecord>> {
    requirePermission(principal, "tokens:read");
    const fetch = (page: { limit: number; after?: string }) => this.#options.store.listTokens(page);
    if (principal.projectIds === null) return listPage(query.limit, query.cursor, fetch);
    // A token limited to projects sees only tokens within those projects, never the root token.
    return listPage(
      query.limit,
      query.cursor,
      filteredFetch(fetch, (token) => withinProjects(principal, token)),
    );
  }

  /** Revokes a token at once on every node; only a token that covers the target's powers may revoke it. */
  async revokeToken(principal: Principal, id: string): Promise<TokenRecord> {
    requirePermission(principal, "tokens:write");
    const target = await this.#options.store.findToken(id);
    if (target === null) throw new KeywardError("NOT_FOUND", "No token has this id.");
    assertCovers(principal, target);
    const now = this.#options.clock.now();
    const revoked = await this.#options.store.revokeToken(id, now, (token) => [
      auditEntry(
        principal,
        {
          action: "token.revoked",
          ...tokenTarget(token),
          diff: { ...recordDiff(token, TOKEN_AUDIT_FIELDS), revokedAt: { from: null, to: token.revokedAt } },
        },
        now,
      ),
    ]);
    this.#cache.deleteById(id);
    await this.#options.announceChanges?.([id]);
    if (revoked === null) throw new KeywardError("NOT_FOUND", "No token has this id.");
    return revoked;
  }

  /** Drops tokens another node changed from this node's cache. */
  forgetCached(ids: readonly string[]): void {
    for (const id of ids) this.#cache.deleteById(id);
  }

  /** Drops every cached token: changes made elsewhere may have been missed. */
  forgetAllCached(): void {
    this.#cache.clear();
  }

  async #mint(input: TokenGrant, by: Principal): Promise<{ token: string; record: TokenRecord }> {
    const now = this.#options.clock.now();
    const minted = mintToken(input, { digestOf: (token) => this.lookup.digestNew(token), nowMs: now });
    const record = minted.newToken.record;
    await this.#options.store.createToken(minted.newToken, [
      auditEntry(
        by,
        { action: "token.created", ...tokenTarget(record), diff: recordDiff(record, TOKEN_AUDIT_FIELDS) },
        now,
      ),
    ]);
    return { token: minted.token, record: minted.newToken.record };
  }
}

/** What a new token holds and who made it (null for the root token made at init). */
export interface TokenGrant {
  name: string;
  permissions: string[];
  projectIds: string[] | null;
  createdBy: string | null;
}

/** Generates a token and the record to store for it; the plaintext is returned once and never stored. */
export function mintToken(
  grant: TokenGrant,
  context: { digestOf(token: string): { digest: Buffer; pepperVersion: number }; nowMs: number },
): { token: string; newToken: NewToken } {
  const token = generateKey({ prefix: TOKEN_PREFIX });
  const record: TokenRecord = {
    id: newId("tok", { now: context.nowMs }),
    ...grant,
    start: keyStart(token),
    createdAt: context.nowMs,
    revokedAt: null,
    lastUsedAt: null,
  };
  return { token, newToken: { record, ...context.digestOf(token) } };
}

/**
 * The token's project list: the one asked for, or the API ids its `api.<apiId>` permissions name. Both at once
 * must agree, since one token has one project list for all its permissions.
 */
function tokenProjectIds(
  requested: readonly string[] | null | undefined,
  fromApiIds: readonly string[] | null,
): string[] | null {
  const asked = requested == null ? null : [...new Set(requested)];
  if (fromApiIds === null) return asked;
  if (
    asked !== null &&
    !(asked.length === fromApiIds.length && fromApiIds.every((id) => asked.includes(id)))
  ) {
    throwIfInvalid([
      {
        pointer: "/projectIds",
        detail:
          "projectIds must list exactly the API ids of the api.<apiId> permissions (or be left out): one token has one project list.",
      },
    ]);
  }
  return asked ?? [...fromApiIds];
}

/** Throws FORBIDDEN unless the principal holds every permission and reaches every project of `target`. */
function assertCovers(
  principal: Principal,
  target: { permissions: readonly string[]; projectIds: readonly string[] | null },
): void {
  if (!coversPermissions(principal.permissions, target.permissions)) {
    throw new KeywardError("FORBIDDEN", "A token can only grant or revoke permissions it holds itself.");
  }
  if (!withinProjects(principal, target)) {
    throw new KeywardError(
      "FORBIDDEN",
      "A token limited to projects can only manage tokens within those projects.",
    );
  }
}

/** True when the target token reaches only projects the principal reaches (always, for an unlimited principal). */
function withinProjects(principal: Principal, target: { projectIds: readonly string[] | null }): boolean {
  const limited = principal.projectIds;
  if (limited === null) return true;
  return target.projectIds?.every((id) => limited.includes(id)) ?? false;
}

/** A token as an audit target: instance-wide unless it is limited to exactly one project. */
function tokenTarget(token: TokenRecord) {
  return {
    target: { type: "token", id: token.id },
    projectId: token.projectIds?.length === 1 ? (token.projectIds[0] ?? null) : null,
  };
}
