import type { KeyRecord } from "@keyward/core/key-record.js";
import type { KeyLifecycleStore, KeyNotice, KeyNoticeKind } from "./key-lifecycle-store.js";
import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase } from "./postgres-database.js";
import { SELECT_KEYS } from "./postgres-key-store.js";
import type { EffectsFor, NewEvent } from "./records.js";
import { type KeyRow, toKey } from "./store-rows.js";

/**
 * "No notice of this kind for the key's current subject yet": an anti-join on the key_notices primary key.
 * `kind` is one of the fixed {@link KeyNoticeKind} literals and `subject` a column or constant, never input.
 */
const WITHOUT_NOTICE = (kind: KeyNoticeKind, subject: string): string =>
  `NOT EXISTS (SELECT 1 FROM key_notices n WHERE n.key_id = k.id AND n.kind = '${kind}' AND n.subject_at = ${subject})`;
/** Keys come out in byte order of their ids, as in SQLite, whatever the database's collation. */
const BY_ID = 'ORDER BY k.id COLLATE "C"';

/** The PostgreSQL {@link KeyLifecycleStore}, sharing its pool (and transactions) with the key store. */
export class PostgresKeyLifecycleStore implements KeyLifecycleStore {
  readonly #database: PostgresDatabase;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async findKeysToNotifyExpiring(query: {
    projectId: string;
    afterMs: number;
    untilMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    return this.#keys(
      `${SELECT_KEYS} WHERE k.expires_at > $1 AND k.expires_at <= $2 AND k.revoked_at IS NULL
         AND k.project_id = $3 AND k.replaced_by IS NULL AND ${WITHOUT_NOTICE("key.expiring", "k.expires_at")}
       ${BY_ID} LIMIT $4`,
      [query.afterMs, query.untilMs, query.projectId, query.limit],
    );
  }

  async findKeysToNotifyExpired(query: {
    sinceMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    return this.#keys(
      `${SELECT_KEYS} WHERE k.expires_at > $1 AND k.expires_at <= $2 AND k.revoked_at IS NULL
         AND ${WITHOUT_NOTICE("key.expired", "k.expires_at")}
       ${BY_ID} LIMIT $3`,
      [query.sinceMs, query.nowMs, query.limit],
    );
  }

  async findKeysToNotifyRotationDue(query: {
    projectId: string;
    createdAtOrBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<KeyRecord[]> {
    return this.#keys(
      `${SELECT_KEYS} WHERE k.project_id = $1 AND k.created_at <= $2 AND k.revoked_at IS NULL
         AND k.replaced_by IS NULL AND (k.expires_at IS NULL OR k.expires_at > $3)
         AND ${WITHOUT_NOTICE("key.rotation_due", "0")}
       ${BY_ID} LIMIT $4`,
      [query.projectId, query.createdAtOrBeforeMs, query.nowMs, query.limit],
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
      `${SELECT_KEYS} WHERE k.project_id = $1 AND k.created_at <= $2 AND k.revoked_at IS NULL
         AND (k.expires_at IS NULL OR k.expires_at > $3) AND COALESCE(u.last_used_at, k.created_at) <= $2
       ${BY_ID} LIMIT $4`,
      [query.projectId, query.unusedSinceMs, query.nowMs, query.limit],
    );
  }

  async recordKeyNotice(notice: KeyNotice, events: readonly NewEvent[]): Promise<boolean> {
    return this.#database.transaction(async (tx): Promise<boolean> => {
      // The primary key claims the notice: of processes racing here, exactly one inserts the row; the others
      // wait on it and then do nothing.
      const { rowCount } = await tx.query(
        `INSERT INTO key_notices (key_id, kind, subject_at, sent_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_id, kind, subject_at) DO NOTHING`,
        [notice.keyId, notice.kind, notice.subjectAt, notice.sentAt],
      );
      if (rowCount === 0) return false;
      await writeEffects(tx, events);
      return true;
    });
  }

  async revokeInactiveKey(
    id: string,
    revocation: { unusedSinceMs: number; reason: string; nowMs: number },
    effectsFor: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null> {
    const { unusedSinceMs, reason, nowMs } = revocation;
    return this.#database.transaction(async (tx): Promise<KeyRecord | null> => {
      // One guarded statement re-checks the scan's conditions on the row it locks: a key used or revoked since
      // the scan is left alone, and of processes racing here exactly one revokes it.
      const { rowCount } = await tx.query(
        `UPDATE keys SET revoked_at = $1, revoked_reason = $2, updated_at = $1
         WHERE id = $3 AND revoked_at IS NULL
           AND COALESCE((SELECT last_used_at FROM key_usage WHERE key_id = keys.id), created_at) <= $4`,
        [nowMs, reason, id, unusedSinceMs],
      );
      if (rowCount === 0) return null;
      // A revoked key has no use left for its recoverable copy, only risk: the copy goes with the revocation.
      await tx.query("DELETE FROM key_recoveries WHERE key_id = $1", [id]);
      const { rows } = await tx.query<KeyRow>(`${SELECT_KEYS} WHERE k.id = $1`, [id]);
      const row = rows[0];
      if (row === undefined) return null;
      const record = toKey(row);
      await writeEffects(tx, effectsFor(record));
      return record;
    });
  }

  async #keys(sql: string, params: readonly unknown[]): Promise<KeyRecord[]> {
    const { rows } = await this.#database.query<KeyRow>(sql, params);
    return rows.map(toKey);
  }
}
