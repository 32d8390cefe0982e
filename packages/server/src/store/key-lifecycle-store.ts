import type { KeyRecord } from "@keyward/core/key-record.js";
import type { EffectsFor, NewEvent } from "./records.js";

/** The notices the scheduler sends about a key, each at most once per subject (see {@link KeyNotice}). */
export type KeyNoticeKind = "key.expiring" | "key.expired" | "key.rotation_due";

/**
 * A notice about one key. `subjectAt` is the instant it is about (the expiry for expiry notices, 0 for rotation
 * due), so moving a key's expiry makes a new notice due while re-sending the old one stays impossible.
 */
export interface KeyNotice {
  keyId: string;
  kind: KeyNoticeKind;
  subjectAt: number;
  sentAt: number;
}

/**
 * What the lifecycle scheduler needs from the store: finding keys a policy applies to, and claiming each notice
 * or automatic revocation exactly once across every process sharing the store. Lists return at most `limit`
 * keys in id order and leave out keys already handled, so calling again after handling them moves on.
 */
export interface KeyLifecycleStore {
  /** Unrevoked, unreplaced keys of the project expiring in (afterMs, untilMs] without an expiring notice. */
  findKeysToNotifyExpiring(query: {
    projectId: string;
    afterMs: number;
    untilMs: number;
    limit: number;
  }): Promise<KeyRecord[]>;
  /** Unrevoked keys of every project that expired in (sinceMs, nowMs] without an expired notice. */
  findKeysToNotifyExpired(query: { sinceMs: number; nowMs: number; limit: number }): Promise<KeyRecord[]>;
  /** Unrevoked, unreplaced, unexpired keys of the project created at or before a time, without the notice. */
  findKeysToNotifyRotationDue(query: {
    projectId: string;
    createdAtOrBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]>;
  /** Unrevoked, unexpired keys of the project last used (or, never used, created) at or before a time. */
  findInactiveKeys(query: {
    projectId: string;
    unusedSinceMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]>;
  /**
   * Records the notice and writes its events in one transaction. False, and nothing written, when the notice
   * was already recorded by any process: this is what makes each notice fire exactly once.
   */
  recordKeyNotice(notice: KeyNotice, events: readonly NewEvent[]): Promise<boolean>;
  /**
   * Revokes the key with `reason` if it is still unrevoked and still unused since `unusedSinceMs`, writing its
   * events in the same transaction; null when it is not (revoked meanwhile, used meanwhile, or absent).
   */
  revokeInactiveKey(
    id: string,
    revocation: { unusedSinceMs: number; reason: string; nowMs: number },
    effectsFor: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null>;
}
