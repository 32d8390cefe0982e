import type { RateLimitRule } from "@keyward/core/key-record.js";
import type { ChangeEffect, EffectsFor } from "./records.js";

/**
 * An identity: shared metadata and shared rate limits for every key whose `ownerId` equals its `externalId`, in
 * any project (Unkey's identity). Instance-wide; times are epoch milliseconds.
 */
export interface IdentityRecord {
  /** `id_…`, derived from the externalId (see `identityIdOf`), so keys show it whether or not a record exists. */
  id: string;
  /** Unique in the instance: the `ownerId` of the keys it groups. */
  externalId: string;
  meta: Record<string, unknown>;
  /** Counted once per identity and name, whichever of its keys is verified. */
  rateLimits: RateLimitRule[];
  createdAt: number;
  updatedAt: number;
}

/** What an update may change; absent fields stay as they are. */
export interface IdentityPatch {
  meta?: Record<string, unknown>;
  rateLimits?: RateLimitRule[];
}

/** Filters and paging for listing identities, in externalId order; `after` is the last externalId of the previous page. */
export interface IdentityQuery {
  limit: number;
  after?: string;
  /** Only identities whose id or externalId contains this, ignoring case. */
  search?: string;
}

/**
 * Where identities live. Changes write their effects (audit entries) in their own transaction; an externalId (or
 * id) used twice is a CONFLICT. Every implementation passes `identity-store.conformance.ts`.
 */
export interface IdentityStore {
  createIdentity(identity: IdentityRecord, effects?: readonly ChangeEffect[]): Promise<void>;
  /** Creates the identity unless its externalId has one; true (and effects written) only when it did. */
  ensureIdentity(identity: IdentityRecord, effects?: readonly ChangeEffect[]): Promise<boolean>;
  findIdentity(id: string): Promise<IdentityRecord | null>;
  findIdentityByExternalId(externalId: string): Promise<IdentityRecord | null>;
  /** Identities in externalId order, at most `limit`. */
  listIdentities(query: IdentityQuery): Promise<IdentityRecord[]>;
  /** Applies the patch and sets `updatedAt`; null (and no effects) when no identity has that id. */
  updateIdentity(
    id: string,
    patch: IdentityPatch,
    nowMs: number,
    effectsFor?: EffectsFor<IdentityRecord>,
  ): Promise<IdentityRecord | null>;
  /** Deletes the identity (its keys keep their ownerId); false (and no effects) when no identity has that id. */
  deleteIdentity(id: string, effects?: readonly ChangeEffect[]): Promise<boolean>;
}

/** `search` as a LIKE pattern (lower case, `\` escapes): the wildcards it holds match themselves. */
export function identitySearchPattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
