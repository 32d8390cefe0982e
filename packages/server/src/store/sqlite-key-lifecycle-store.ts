import type { KeyRecord } from "@keyward/core/key-record.js";
import type { KeyLifecycleStore, KeyNotice } from "./key-lifecycle-store.js";
import type { EffectsFor, NewEvent } from "./records.js";
import { writeEffects } from "./sqlite-change-effects.js";
import type { SqliteDatabase } from "./sqlite-database.js";
import { SELECT_KEYS } from "./sqlite-key-store.js";
import { type KeyRow, toKey } from "./store-rows.js";

/** "No notice of this kind for the key's current subject yet." */
const WITHOUT_NOTICE = (kind: string, subject: string): string =>
  `NOT EXISTS (SELECT 1 FROM key_notices n WHERE n.key_id = k.id AND n.kind = '${kind}' AND n.subject_at = ${subject})`;

/** The SQLite {@link KeyLifecycleStore}, sharing its connection (and transactions) with the key store. */
export class SqliteKeyLifecycleStore implements KeyLifecycleStore {
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  async findKeysToNotifyExpiring(query: {
    projectId: string;
    afterMs: number;
    untilMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    return this.#keys(
      `${SELECT_KEYS} WHERE k.expires_at > ? AND k.expires_at <= ? AND k.revoked_at IS NULL
         AND k.project_id = ? AND k.replaced_by IS NULL AND ${WITHOUT_NOTICE("key.expiring", "k.expires_at")}
       ORDER BY k.id LIMIT ?`,
      query.afterMs,
      query.untilMs,
      query.projectId,
      query.limit,
    );
  }

  async findKeysToNotifyExpired(query: {
    sinceMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    return this.#keys(
      `${SELECT_KEYS} WHERE k.expires_at > ? AND k.expires_at <= ? AND k.revoked_at IS NULL
         AND ${WITHOUT_NOTICE("key.expired", "k.expires_at")}
       ORDER BY k.id LIMIT ?`,
      query.sinceMs,
      query.nowMs,
      query.limit,
    );
  }

  async findKeysToNotifyRotationDue(query: {
    projectId: string;
    createdAtOrBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    return this.#keys(
      `${SELECT_KEYS} WHERE k.project_id = ? AND k.created_at <= ? AND k.revoked_at IS NULL
         AND k.replaced_by IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?)
         AND ${WITHOUT_NOTICE("key.rotation_due", "0")}
       ORDER BY k.id LIMIT ?`,
      query.projectId,
      query.createdAtOrBeforeMs,
      query.nowMs,
      query.limit,
    );
  }

  async findInactiveKeys(query: {
    projectId: string;
    unusedSinceMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    // created_at <= unusedSince first: the (project_id, created_at) index narrows to keys old enough to qualify.
    return this.#keys(
      `${SELECT_KEYS} WHERE k.project_id = ? AND k.created_at <= ? AND k.revoked_at IS NULL
         AND (k.expires_at IS NULL OR k.expires_at > ?) AND COALESCE(u.last_used_at, k.created_at) <= ?
       ORDER BY k.id LIMIT ?`,
      query.projectId,
      query.unusedSinceMs,
      query.nowMs,
      query.unusedSinceMs,
      query.limit,
    );
  }

  async recordKeyNotice(notice: KeyNotice, events: readonly NewEvent[]): Promise<boolean> {
    return this.#database.write((): boolean => {
      const inserted = this.#database
        .statement(
          `INSERT INTO key_notices (key_id, kind, subject_at, sent_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (key_id, kind, subject_at) DO NOTHING`,
        )
        .run(notice.keyId, notice.kind, notice.subjectAt, notice.sentAt).changes;
      if (inserted === 0) return false;
      writeEffects(this.#database, events);
      return true;
    });
  }

  async revokeInactiveKey(
    id: string,
    revocation: { unusedSinceMs: number; reason: string; nowMs: number },
    effectsFor: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null> {
    const { unusedSinceMs, reason, nowMs } = revocation;
    return this.#database.write((): KeyRecord | null => {
      // Re-checked inside the write: a key used or revoked since the scan is left alone.
      const changed = this.#database
        .statement(
          `UPDATE keys SET revoked_at = ?, revoked_reason = ?, updated_at = ?
           WHERE id = ? AND revoked_at IS NULL
             AND COALESCE((SELECT last_used_at FROM key_usage WHERE key_id = keys.id), created_at) <= ?`,
        )
        .run(nowMs, reason, nowMs, id, unusedSinceMs).changes;
      if (changed === 0) return null;
      // A revoked key has no use left for its recoverable copy, only risk: the copy goes with the revocation.
      this.#database.statement("DELETE FROM key_recoveries WHERE key_id = ?").run(id);
      const row = this.#database.statement(`${SELECT_KEYS} WHERE k.id = ?`).get(id) as KeyRow | undefined;
      if (row === undefined) return null;
      const record = toKey(row);
      writeEffects(this.#database, effectsFor(record));
      return record;
    });
  }

  #keys(sql: string, ...params: unknown[]): Promise<KeyRecord[]> {
    return Promise.resolve((this.#database.run(sql, "all", ...params) as KeyRow[]).map(toKey));
  }
}
