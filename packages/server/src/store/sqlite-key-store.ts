import type { KeyQuota, KeyRecord } from "@keyward/core/key-record.js";
import {
  ALERT_COLUMNS,
  type AlertQuery,
  type AlertRaise,
  type AlertRecord,
  type AlertRow,
  alertParams,
  type RaisedAlert,
  toAlert,
} from "./alert-records.js";
import { KEY_DEPENDENT_TABLES } from "./key-dependents.js";
import {
  IMPORTED_PEPPER_VERSION,
  type KeyImportBatch,
  type KeyImportOutcome,
  type KeyImportStatus,
} from "./key-import-records.js";
import { DEFAULT_PROJECT_SETTING, type KeyStore } from "./key-store.js";
import { FIRST_PEPPER_NAME } from "./pepper-store.js";
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
import { writeEffects } from "./sqlite-change-effects.js";
import { SqliteDatabase, type SqliteDatabaseOptions, translate } from "./sqlite-database.js";
import {
  type KeyRow,
  type OverrideRow,
  type ProjectRow,
  type TokenRow,
  toKey,
  toOverride,
  toProject,
  toToken,
} from "./store-rows.js";
import type {
  KeyUsageQuery,
  ProjectUsage,
  ProjectUsageQuery,
  UsageBucket,
  UsageBucketEntry,
  UsagePruning,
} from "./usage-records.js";
import { foldBuckets, foldGroups, rollUpUsage } from "./usage-rows.js";

/** Usage entries written per transaction; between chunks the event loop serves requests. */
const USAGE_CHUNK = 250;

const KEY_COLUMNS =
  "id, project_id, digest, start, name, owner_id, scopes, meta, created_at, updated_at, expires_at, enabled, revoked_at, revoked_reason, replaced_by, replaces, rate_limits, ip_allowlist, canary, pepper_version, roles";
/** A key row with its usage, which lives in its own table. */
export const SELECT_KEYS = `SELECT ${KEY_COLUMNS.split(", ")
  .map((c) => `k.${c}`)
  .join(
    ", ",
  )}, u.last_used_at, q.pool_id AS quota_pool_id, q.remaining AS quota_remaining, q.refill_amount AS quota_refill_amount,
  q.refill_interval AS quota_refill_interval, q.refilled_at AS quota_refilled_at
  FROM keys k LEFT JOIN key_usage u ON u.key_id = k.id LEFT JOIN key_quotas q ON q.key_id = k.id`;
const TOKEN_COLUMNS =
  "id, digest, start, name, permissions, project_ids, created_by, created_at, revoked_at, last_used_at, pepper_version";

/** The embedded default {@link KeyStore}: one SQLite file in WAL mode, via better-sqlite3. */
export class SqliteKeyStore implements KeyStore {
  readonly #database: SqliteDatabase;

  /** Opens its own connection from options, or shares one with the other SQLite stores. */
  constructor(database: SqliteDatabase | SqliteDatabaseOptions) {
    this.#database = database instanceof SqliteDatabase ? database : new SqliteDatabase(database);
  }

  async migrate(): Promise<number[]> {
    return this.#database.migrate(Date.now());
  }

  async schemaVersion(): Promise<number> {
    const row = this.#database.run(
      "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations",
      "get",
    ) as { version: number };
    return row.version;
  }

  async ping(): Promise<void> {
    this.#database.run("SELECT 1", "get");
  }

  async close(): Promise<void> {
    this.#database.close();
  }

  async bootstrap(seed: BootstrapSeed): Promise<boolean> {
    const write = this.#database.db.transaction((): boolean => {
      const at = seed.defaultProject.createdAt;
      const inserted = this.#database
        .statement(
          `INSERT INTO peppers (name, version, sealed_pepper, created_at, activates_at) VALUES (?, 1, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
        )
        .run(FIRST_PEPPER_NAME, seed.sealedPepper, at, at);
      if (inserted.changes === 0) return false;
      this.#insertProject(seed.defaultProject);
      this.#database
        .statement("INSERT INTO instance_settings (name, value, created_at) VALUES (?, ?, ?)")
        .run(DEFAULT_PROJECT_SETTING, seed.defaultProject.id, seed.defaultProject.createdAt);
      this.#insertToken(seed.rootToken);
      return true;
    });
    return translate(() => write.immediate());
  }

  async readInstanceSetting(name: string): Promise<string | null> {
    const row = this.#database.run("SELECT value FROM instance_settings WHERE name = ?", "get", name) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  async createProject(project: ProjectRecord, effects: readonly ChangeEffect[] = []): Promise<void> {
    this.#database.write(() => {
      this.#insertProject(project);
      writeEffects(this.#database, effects);
    });
  }

  async findProject(id: string): Promise<ProjectRecord | null> {
    const row = this.#database.run("SELECT * FROM projects WHERE id = ? AND deleted_at IS NULL", "get", id) as
      | ProjectRow
      | undefined;
    return row === undefined ? null : toProject(row);
  }

  async listProjects(query: PageQuery): Promise<ProjectRecord[]> {
    const rows = this.#database.run(
      "SELECT * FROM projects WHERE id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?",
      "all",
      query.after ?? "",
      query.limit,
    );
    return (rows as ProjectRow[]).map(toProject);
  }

  async listProjectIdsRequiring2fa(): Promise<string[]> {
    const rows = this.#database.run(
      "SELECT id FROM projects WHERE require_2fa = 1 AND deleted_at IS NULL",
      "all",
    ) as Array<{
      id: string;
    }>;
    return rows.map((row) => row.id);
  }

  async updateProject(
    id: string,
    patch: ProjectPatch,
    effectsFor?: EffectsFor<ProjectRecord>,
  ): Promise<ProjectRecord | null> {
    const row = this.#database.write((): ProjectRow | undefined => {
      if (patch.name !== undefined) {
        this.#database.statement("UPDATE projects SET name = ? WHERE id = ?").run(patch.name, id);
      }
      if (patch.policies !== undefined) {
        this.#database
          .statement("UPDATE projects SET policies = ? WHERE id = ?")
          .run(JSON.stringify(patch.policies), id);
      }
      if (patch.ipAllowlist !== undefined) {
        this.#database
          .statement("UPDATE projects SET ip_allowlist = ? WHERE id = ?")
          .run(patch.ipAllowlist === null ? null : JSON.stringify(patch.ipAllowlist), id);
      }
      if (patch.timezone !== undefined) {
        this.#database.statement("UPDATE projects SET timezone = ? WHERE id = ?").run(patch.timezone, id);
      }
      if (patch.recoverableKeys !== undefined) {
        this.#database
          .statement("UPDATE projects SET recoverable_keys = ? WHERE id = ?")
          .run(patch.recoverableKeys ? 1 : 0, id);
        // Turning recovery off takes back what it kept: no copy outlives the setting that allowed it.
        if (!patch.recoverableKeys) {
          this.#database
            .statement(
              "DELETE FROM key_recoveries WHERE key_id IN (SELECT id FROM keys WHERE project_id = ?)",
            )
            .run(id);
        }
      }
      if (patch.require2fa !== undefined) {
        this.#database
          .statement("UPDATE projects SET require_2fa = ? WHERE id = ?")
          .run(patch.require2fa ? 1 : 0, id);
      }
      const updated = this.#database
        .statement("SELECT * FROM projects WHERE id = ? AND deleted_at IS NULL")
        .get(id) as ProjectRow | undefined;
      if (updated !== undefined && effectsFor !== undefined) {
        writeEffects(this.#database, effectsFor(toProject(updated)));
      }
      return updated;
    });
    return row === undefined ? null : toProject(row);
  }

  async deleteProject(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<ProjectRecord>,
  ): Promise<ProjectRecord | null> {
    return this.#database.write((): ProjectRecord | null => {
      const row = this.#database
        .statement("UPDATE projects SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL RETURNING *")
        .get(nowMs, id) as ProjectRow | undefined;
      if (row === undefined) return null;
      // The copies of dead keys are kept for nothing: none outlives its project.
      this.#database
        .statement("DELETE FROM key_recoveries WHERE key_id IN (SELECT id FROM keys WHERE project_id = ?)")
        .run(id);
      const project = toProject(row);
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(project));
      return project;
    });
  }

  async createKey(key: NewKey, effects: readonly ChangeEffect[] = []): Promise<void> {
    this.#database.write(() => {
      this.#insertKey(key);
      writeEffects(this.#database, effects);
    });
  }

  async findKey(id: string): Promise<KeyRecord | null> {
    const row = this.#database.run(`${SELECT_KEYS} WHERE k.id = ?`, "get", id) as KeyRow | undefined;
    return row === undefined ? null : toKey(row);
  }

  async findKeyByAnyDigest(digests: readonly Buffer[]): Promise<WithDigest<KeyRecord> | null> {
    if (digests.length === 0) return null;
    const sql = `${SELECT_KEYS} WHERE k.digest IN (${digests.map(() => "?").join(", ")}) LIMIT 1`;
    const row = this.#database.run(sql, "get", ...digests) as KeyRow | undefined;
    return row === undefined
      ? null
      : { record: toKey(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async findKeyByDigest(digest: Buffer): Promise<WithDigest<KeyRecord> | null> {
    const row = this.#database.run(`${SELECT_KEYS} WHERE k.digest = ?`, "get", digest) as KeyRow | undefined;
    return row === undefined
      ? null
      : { record: toKey(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async importKeys(batch: KeyImportBatch): Promise<KeyImportOutcome[]> {
    return this.#database.write(() => {
      this.#database
        .statement(
          `INSERT INTO key_migrations (migration_id, project_id, created_at) VALUES (?, ?, ?)
           ON CONFLICT DO NOTHING`,
        )
        .run(batch.migrationId, batch.projectId, batch.nowMs);
      const taken = this.#database.statement("SELECT 1 FROM keys WHERE digest = ?");
      return batch.keys.map((key): KeyImportOutcome => {
        // Rows inserted earlier in this batch are seen too: a hash given twice imports once.
        if (taken.get(key.digest) !== undefined) return "duplicate";
        this.#insertKey(key);
        if (batch.effectsFor !== undefined) writeEffects(this.#database, batch.effectsFor(key.record));
        return "imported";
      });
    });
  }

  async keyImportStatus(nowMs: number): Promise<KeyImportStatus> {
    // The partial index keys_imported_pending holds the unrevoked ones; their expiry is checked row by row.
    const row = this.#database.run(
      `SELECT EXISTS (SELECT 1 FROM key_migrations) AS migrations,
         EXISTS (SELECT 1 FROM keys WHERE pepper_version = ${IMPORTED_PEPPER_VERSION} AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > ?)) AS pending`,
      "get",
      nowMs,
    ) as { migrations: number; pending: number };
    return { migrations: row.migrations === 1, pending: row.pending === 1 };
  }

  async hasKeyMigration(migrationId: string, projectIds: readonly string[] | null): Promise<boolean> {
    if (projectIds !== null && projectIds.length === 0) return false;
    const inProjects =
      projectIds === null ? "" : ` AND project_id IN (${projectIds.map(() => "?").join(", ")})`;
    const row = this.#database.run(
      `SELECT 1 FROM key_migrations WHERE migration_id = ?${inProjects} LIMIT 1`,
      "get",
      migrationId,
      ...(projectIds ?? []),
    );
    return row !== undefined;
  }

  async listKeys(query: KeyQuery): Promise<KeyRecord[]> {
    if (query.projectIds !== null && query.projectIds.length === 0) return [];
    const where = ["k.id > ?"];
    const params: unknown[] = [query.after ?? ""];
    if (query.projectIds !== null) {
      where.push(`k.project_id IN (${query.projectIds.map(() => "?").join(", ")})`);
      params.push(...query.projectIds);
    }
    if (query.ownerId !== undefined) {
      where.push("k.owner_id = ?");
      params.push(query.ownerId);
    }
    params.push(query.limit);
    const sql = `${SELECT_KEYS} WHERE ${where.join(" AND ")} ORDER BY k.id LIMIT ?`;
    return (this.#database.run(sql, "all", ...params) as KeyRow[]).map(toKey);
  }

  async updateKey(
    id: string,
    patch: KeyPatch,
    nowMs: number,
    effectsFor?: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null> {
    const sets: string[] = ["updated_at = ?"];
    const params: unknown[] = [nowMs];
    const column = (name: string, value: unknown): void => {
      sets.push(`${name} = ?`);
      params.push(value);
    };
    if (patch.name !== undefined) column("name", patch.name);
    if (patch.ownerId !== undefined) column("owner_id", patch.ownerId);
    if (patch.scopes !== undefined) column("scopes", JSON.stringify(patch.scopes));
    if (patch.roles !== undefined) column("roles", JSON.stringify(patch.roles));
    if (patch.meta !== undefined) column("meta", JSON.stringify(patch.meta));
    if (patch.expiresAt !== undefined) column("expires_at", patch.expiresAt);
    if (patch.enabled !== undefined) column("enabled", patch.enabled ? 1 : 0);
    if (patch.rateLimits !== undefined) column("rate_limits", JSON.stringify(patch.rateLimits));
    if (patch.ipAllowlist !== undefined) {
      column("ip_allowlist", patch.ipAllowlist === null ? null : JSON.stringify(patch.ipAllowlist));
    }
    params.push(id);
    const sql = `UPDATE keys SET ${sets.join(", ")} WHERE id = ?`;
    // Update, read back and write events in one transaction: the record and events are exactly what it left.
    return this.#database.write((): KeyRecord | null => {
      if (this.#database.statement(sql).run(...params).changes === 0) return null;
      if (patch.quota === null) this.#database.statement("DELETE FROM key_quotas WHERE key_id = ?").run(id);
      else if (patch.quota !== undefined) this.#writeQuota(id, patch.quota);
      const updated = this.#readKey(id);
      if (updated !== null && effectsFor !== undefined) writeEffects(this.#database, effectsFor(updated));
      return updated;
    });
  }

  async revokeKey(
    id: string,
    reason: string | null,
    nowMs: number,
    effectsFor?: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null> {
    return this.#database.write((): KeyRecord | null => {
      // The revoked_at IS NULL guard keeps the first revocation's time and reason, and its events the only ones.
      const changed = this.#database
        .statement(
          "UPDATE keys SET revoked_at = ?, revoked_reason = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL",
        )
        .run(nowMs, reason, nowMs, id).changes;
      // A revoked key has no use left for its recoverable copy, only risk: the copy goes with the revocation.
      if (changed > 0) this.#database.statement("DELETE FROM key_recoveries WHERE key_id = ?").run(id);
      const record = this.#readKey(id);
      if (changed > 0 && record !== null && effectsFor !== undefined) {
        writeEffects(this.#database, effectsFor(record));
      }
      return record;
    });
  }

  async deleteKey(id: string, effectsFor?: EffectsFor<KeyRecord>): Promise<KeyRecord | null> {
    return this.#database.write((): KeyRecord | null => {
      const record = this.#readKey(id);
      if (record === null) return null;
      for (const table of KEY_DEPENDENT_TABLES) {
        this.#database.statement(`DELETE FROM ${table} WHERE key_id = ?`).run(id);
      }
      // The other side of a rotation keeps its record; only its link to the erased key goes.
      this.#database.statement("UPDATE keys SET replaced_by = NULL WHERE replaced_by = ?").run(id);
      this.#database.statement("UPDATE keys SET replaces = NULL WHERE replaces = ?").run(id);
      this.#database.statement("DELETE FROM keys WHERE id = ?").run(id);
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(record));
      return record;
    });
  }

  async revokeKeys(revocation: BulkRevocation, effectsFor?: EffectsFor<KeyRecord>): Promise<KeyRecord[]> {
    const { projectIds, ownerId, reason, nowMs, limit } = revocation;
    if (projectIds !== null && projectIds.length === 0) return [];
    const where = ["revoked_at IS NULL"];
    const params: unknown[] = [];
    if (projectIds !== null) {
      where.push(`project_id IN (${projectIds.map(() => "?").join(", ")})`);
      params.push(...projectIds);
    }
    if (ownerId !== undefined) {
      where.push("owner_id = ?");
      params.push(ownerId);
    }
    const sql = `UPDATE keys SET revoked_at = ?, revoked_reason = ?, updated_at = ?
      WHERE id IN (SELECT id FROM keys WHERE ${where.join(" AND ")} ORDER BY id LIMIT ?) RETURNING id`;
    return this.#database.write((): KeyRecord[] => {
      const ids = this.#database.statement(sql).all(nowMs, reason, nowMs, ...params, limit) as {
        id: string;
      }[];
      const revoked: KeyRecord[] = [];
      const forgetCopy = this.#database.statement("DELETE FROM key_recoveries WHERE key_id = ?");
      for (const { id } of ids) {
        forgetCopy.run(id);
        const record = this.#readKey(id);
        if (record === null) continue;
        revoked.push(record);
        if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(record));
      }
      return revoked;
    });
  }

  async rotateKey(
    rotation: KeyRotation,
    effectsFor?: (old: KeyRecord, replacement: KeyRecord) => ChangeEffect[],
  ): Promise<RotationOutcome> {
    const { oldId, replacement, oldExpiresAt, nowMs } = rotation;
    return this.#database.write((): RotationOutcome => {
      // The guards make the check and the change one step: of two concurrent rotations only one matches.
      const changed = this.#database
        .statement(
          `UPDATE keys SET replaced_by = ?, updated_at = ?,
             expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < ? THEN expires_at ELSE ? END
           WHERE id = ? AND revoked_at IS NULL AND replaced_by IS NULL`,
        )
        .run(replacement.record.id, nowMs, oldExpiresAt, oldExpiresAt, oldId).changes;
      if (changed === 0) {
        const existing = this.#readKey(oldId);
        if (existing === null) return { outcome: "not_found" };
        return { outcome: existing.revokedAt !== null ? "revoked" : "already_rotated" };
      }
      this.#insertKey(replacement);
      const old = this.#readKey(oldId);
      const added = this.#readKey(replacement.record.id);
      if (old === null || added === null) throw new Error("A rotated key vanished inside its transaction.");
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(old, added));
      return { outcome: "rotated", old, replacement: added };
    });
  }

  async recordKeyUsage(entries: readonly UsageEntry[]): Promise<void> {
    // The SELECT from keys ignores ids of keys that do not exist instead of creating orphan usage rows.
    await this.#writeUsage(
      `INSERT INTO key_usage (key_id, last_used_at, verification_count) SELECT id, ?, ? FROM keys WHERE id = ?
       ON CONFLICT (key_id) DO UPDATE SET last_used_at = MAX(last_used_at, excluded.last_used_at),
       verification_count = verification_count + excluded.verification_count`,
      entries,
    );
  }

  async recordQuotaBalances(entries: readonly QuotaBalanceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Never back to an older refill period: a late write from before a refill must not undo it.
    const statement = this.#database.statement(
      "UPDATE key_quotas SET remaining = ?, refilled_at = ? WHERE pool_id = ? AND refilled_at <= ?",
    );
    this.#database.write(() => {
      for (const e of entries) statement.run(e.remaining, e.refilledAt, e.poolId, e.refilledAt);
    });
  }

  async recordUsageBuckets(entries: readonly UsageBucketEntry[]): Promise<void> {
    const rows = rollUpUsage(entries);
    if (rows.length === 0) return;
    const statement = this.#database.statement(
      `INSERT INTO usage_buckets (granularity, key_id, bucket_start, code, project_id, count) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (granularity, key_id, bucket_start, code, project_id) DO UPDATE SET count = count + excluded.count`,
    );
    // One transaction for the whole batch: a failed batch is retried whole, so a partly written one would count
    // twice. The batch is pre-merged (a minute's entries share their hour and day rows), which keeps it short.
    this.#database.write(() => {
      for (const r of rows)
        statement.run(r.granularity, r.keyId, r.bucketStart, r.code, r.projectId, r.count);
    });
  }

  async keyUsage(query: KeyUsageQuery): Promise<UsageBucket[]> {
    const rows = this.#database.run(
      `SELECT bucket_start, code, SUM(count) AS count FROM usage_buckets
       WHERE granularity = ? AND key_id = ? AND bucket_start >= ? AND bucket_start < ?
       GROUP BY bucket_start, code ORDER BY bucket_start, code`,
      "all",
      query.granularity,
      query.keyId,
      query.fromMs,
      query.toMs,
    ) as { bucket_start: number; code: string; count: number }[];
    return foldBuckets(rows);
  }

  async projectUsage(query: ProjectUsageQuery): Promise<ProjectUsage> {
    const { projectIds } = query;
    if (projectIds !== null && projectIds.length === 0) return { buckets: [], groups: [] };
    const where = ["granularity = ?", "bucket_start >= ?", "bucket_start < ?"];
    const params: unknown[] = [query.granularity, query.fromMs, query.toMs];
    if (projectIds !== null) {
      where.push(`project_id IN (${projectIds.map(() => "?").join(", ")})`);
      params.push(...projectIds);
    }
    const filter = `FROM usage_buckets WHERE ${where.join(" AND ")}`;
    const buckets = foldBuckets(
      this.#database.run(
        `SELECT bucket_start, code, SUM(count) AS count ${filter} GROUP BY bucket_start, code ORDER BY bucket_start, code`,
        "all",
        ...params,
      ) as { bucket_start: number; code: string; count: number }[],
    );
    const column = query.groupBy === "key" ? "key_id" : "code";
    const totals = this.#database.run(
      `SELECT ${column} AS id, SUM(count) AS total ${filter} GROUP BY ${column} ORDER BY total DESC, id LIMIT ?`,
      "all",
      ...params,
      query.limit,
    ) as { id: string; total: number }[];
    if (query.groupBy === "code") {
      return {
        buckets,
        groups: foldGroups(
          totals,
          totals.map((t) => ({ ...t, code: t.id, count: t.total })),
        ),
      };
    }
    if (totals.length === 0) return { buckets, groups: [] };
    const codeRows = this.#database.run(
      `SELECT key_id AS id, code, SUM(count) AS count ${filter}
       AND key_id IN (${totals.map(() => "?").join(", ")}) GROUP BY key_id, code`,
      "all",
      ...params,
      ...totals.map((t) => t.id),
    ) as { id: string; code: string; count: number }[];
    return { buckets, groups: foldGroups(totals, codeRows) };
  }

  async pruneUsageBuckets(pruning: UsagePruning): Promise<number> {
    return this.#database.write((): number => {
      const statement = this.#database.statement(
        "DELETE FROM usage_buckets WHERE granularity = ? AND bucket_start < ?",
      );
      return (
        statement.run("minute", pruning.minutesBeforeMs).changes +
        statement.run("hour", pruning.hoursBeforeMs).changes
      );
    });
  }

  async raiseAlert(raise: AlertRaise, effectsFor?: EffectsFor<AlertRecord>): Promise<RaisedAlert> {
    // One write transaction: SQLite has one writer, so the check and the insert cannot interleave with another.
    return this.#database.write((): RaisedAlert => {
      const repeated = this.#database
        .statement(
          `UPDATE alerts SET occurrences = occurrences + 1, last_seen_at = MAX(last_seen_at, ?)
           WHERE id = (SELECT id FROM alerts WHERE dedup_key = ? AND acknowledged_at IS NULL AND last_seen_at >= ?
                       ORDER BY last_seen_at DESC LIMIT 1)
           RETURNING ${ALERT_COLUMNS}`,
        )
        .get(raise.atMs, raise.dedupKey, raise.atMs - raise.quietMs) as AlertRow | undefined;
      if (repeated !== undefined) return { alert: toAlert(repeated), raised: false };
      const row = this.#database
        .statement(
          `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${ALERT_COLUMNS}`,
        )
        .get(...alertParams(raise)) as AlertRow;
      const alert = toAlert(row);
      if (effectsFor !== undefined) writeEffects(this.#database, effectsFor(alert));
      return { alert, raised: true };
    });
  }

  async findAlert(id: string): Promise<AlertRecord | null> {
    const row = this.#database.run(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = ?`, "get", id) as
      | AlertRow
      | undefined;
    return row === undefined ? null : toAlert(row);
  }

  async listAlerts(query: AlertQuery): Promise<AlertRecord[]> {
    if (query.projectIds !== null && query.projectIds.length === 0) return [];
    const where = ["id > ?"];
    const params: unknown[] = [query.after ?? ""];
    if (query.projectIds !== null) {
      where.push(`project_id IN (${query.projectIds.map(() => "?").join(", ")})`);
      params.push(...query.projectIds);
    }
    if (query.acknowledged !== undefined) {
      where.push(query.acknowledged ? "acknowledged_at IS NOT NULL" : "acknowledged_at IS NULL");
    }
    if (query.type !== undefined) {
      where.push("type = ?");
      params.push(query.type);
    }
    const rows = this.#database.run(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where.join(" AND ")} ORDER BY id LIMIT ?`,
      "all",
      ...params,
      query.limit,
    ) as AlertRow[];
    return rows.map(toAlert);
  }

  async acknowledgeAlert(
    id: string,
    by: string | null,
    nowMs: number,
    effectsFor?: EffectsFor<AlertRecord>,
  ): Promise<AlertRecord | null> {
    return this.#database.write((): AlertRecord | null => {
      const { changes } = this.#database
        .statement(
          "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL",
        )
        .run(nowMs, by, id);
      const row = this.#database.statement(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = ?`).get(id) as
        | AlertRow
        | undefined;
      if (row === undefined) return null;
      const alert = toAlert(row);
      if (changes > 0 && effectsFor !== undefined) writeEffects(this.#database, effectsFor(alert));
      return alert;
    });
  }

  async setRateLimitOverride(
    override: RateLimitOverride,
    effects: readonly ChangeEffect[] = [],
  ): Promise<void> {
    this.#database.write(() => {
      this.#database
        .statement(
          `INSERT INTO ratelimit_overrides (namespace, identifier, "limit", window_ms, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (namespace, identifier) DO UPDATE SET "limit" = excluded."limit", window_ms = excluded.window_ms`,
        )
        .run(override.namespace, override.identifier, override.limit, override.windowMs, override.createdAt);
      writeEffects(this.#database, effects);
    });
  }

  async findRateLimitOverride(namespace: string, identifier: string): Promise<RateLimitOverride | null> {
    const row = this.#database.run(
      `SELECT namespace, identifier, "limit", window_ms, created_at FROM ratelimit_overrides
       WHERE namespace = ? AND identifier = ?`,
      "get",
      namespace,
      identifier,
    ) as OverrideRow | undefined;
    return row === undefined ? null : toOverride(row);
  }

  async listRateLimitOverrides(namespace: string, query: PageQuery): Promise<RateLimitOverride[]> {
    const rows = this.#database.run(
      `SELECT namespace, identifier, "limit", window_ms, created_at FROM ratelimit_overrides
       WHERE namespace = ? AND identifier > ? ORDER BY identifier LIMIT ?`,
      "all",
      namespace,
      query.after ?? "",
      query.limit,
    ) as OverrideRow[];
    return rows.map(toOverride);
  }

  async deleteRateLimitOverride(
    namespace: string,
    identifier: string,
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    return this.#database.write(() => {
      const { changes } = this.#database
        .statement("DELETE FROM ratelimit_overrides WHERE namespace = ? AND identifier = ?")
        .run(namespace, identifier);
      if (changes > 0) writeEffects(this.#database, effects);
      return changes > 0;
    });
  }

  async createToken(token: NewToken, effects: readonly ChangeEffect[] = []): Promise<void> {
    this.#database.write(() => {
      this.#insertToken(token);
      writeEffects(this.#database, effects);
    });
  }

  async findToken(id: string): Promise<TokenRecord | null> {
    const row = this.#database.run(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`, "get", id) as
      | TokenRow
      | undefined;
    return row === undefined ? null : toToken(row);
  }

  async findTokenByAnyDigest(digests: readonly Buffer[]): Promise<WithDigest<TokenRecord> | null> {
    if (digests.length === 0) return null;
    const sql = `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest IN (${digests.map(() => "?").join(", ")}) LIMIT 1`;
    const row = this.#database.run(sql, "get", ...digests) as TokenRow | undefined;
    return row === undefined
      ? null
      : { record: toToken(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async findTokenByDigest(digest: Buffer): Promise<WithDigest<TokenRecord> | null> {
    const row = this.#database.run(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = ?`, "get", digest) as
      | TokenRow
      | undefined;
    return row === undefined
      ? null
      : { record: toToken(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async listTokens(query: PageQuery): Promise<TokenRecord[]> {
    const rows = this.#database.run(
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id > ? ORDER BY id LIMIT ?`,
      "all",
      query.after ?? "",
      query.limit,
    );
    return (rows as TokenRow[]).map(toToken);
  }

  async revokeToken(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<TokenRecord>,
  ): Promise<TokenRecord | null> {
    return this.#database.write(() => {
      const { changes } = this.#database
        .statement("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .run(nowMs, id);
      const row = this.#database.statement(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).get(id) as
        | TokenRow
        | undefined;
      if (row === undefined) return null;
      const token = toToken(row);
      if (changes > 0 && effectsFor !== undefined) writeEffects(this.#database, effectsFor(token));
      return token;
    });
  }

  async recordTokenUsage(entries: readonly UsageEntry[]): Promise<void> {
    await this.#writeUsage(
      "UPDATE tokens SET last_used_at = MAX(COALESCE(last_used_at, 0), ?), use_count = use_count + ? WHERE id = ?",
      entries,
    );
  }

  /** Runs `sql` (parameters: lastUsedAt, count, id) for every entry, in small sorted transactions. */
  async #writeUsage(sql: string, entries: readonly UsageEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const statement = this.#database.statement(sql);
    const writeChunk = this.#database.db.transaction((chunk: readonly UsageEntry[]) => {
      for (const entry of chunk) statement.run(entry.lastUsedAt, entry.count, entry.id);
    });
    // Sorted ids touch neighbouring index pages one after another; small transactions with a turn of the event
    // loop between them keep this synchronous driver from stalling verification for the whole batch.
    const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let start = 0; start < sorted.length; start += USAGE_CHUNK) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      translate(() => writeChunk(sorted.slice(start, start + USAGE_CHUNK)));
    }
  }

  #readKey(id: string): KeyRecord | null {
    const row = this.#database.statement(`${SELECT_KEYS} WHERE k.id = ?`).get(id) as KeyRow | undefined;
    return row === undefined ? null : toKey(row);
  }

  #insertKey(key: NewKey): void {
    const r = key.record;
    this.#database
      .statement(
        `INSERT INTO keys (${KEY_COLUMNS}) VALUES (${KEY_COLUMNS.split(", ")
          .map(() => "?")
          .join(", ")})`,
      )
      .run(
        r.id,
        r.projectId,
        key.digest,
        r.start,
        r.name,
        r.ownerId,
        JSON.stringify(r.scopes),
        JSON.stringify(r.meta),
        r.createdAt,
        r.updatedAt,
        r.expiresAt,
        r.enabled ? 1 : 0,
        r.revokedAt,
        r.revokedReason,
        r.replacedBy,
        r.replaces,
        JSON.stringify(r.rateLimits),
        r.ipAllowlist === null ? null : JSON.stringify(r.ipAllowlist),
        r.canary ? 1 : 0,
        key.pepperVersion,
        JSON.stringify(r.roles),
      );
    if (r.quota !== null) this.#writeQuota(r.id, r.quota);
    if (r.lastUsedAt !== null) {
      this.#database
        .statement("INSERT INTO key_usage (key_id, last_used_at, verification_count) VALUES (?, ?, 0)")
        .run(r.id, r.lastUsedAt);
    }
    if (key.sealedCopy !== undefined) {
      this.#database
        .statement("INSERT INTO key_recoveries (key_id, sealed_key, created_at) VALUES (?, ?, ?)")
        .run(r.id, key.sealedCopy, r.createdAt);
    }
  }

  #insertProject(project: ProjectRecord): void {
    this.#database
      .statement(
        "INSERT INTO projects (id, name, key_prefix, policies, ip_allowlist, timezone, recoverable_keys, require_2fa, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        project.id,
        project.name,
        project.keyPrefix,
        JSON.stringify(project.policies),
        project.ipAllowlist === null ? null : JSON.stringify(project.ipAllowlist),
        project.timezone,
        project.recoverableKeys ? 1 : 0,
        project.require2fa ? 1 : 0,
        project.createdAt,
      );
  }

  /** Creates or replaces a key's quota row. */
  #writeQuota(keyId: string, quota: KeyQuota): void {
    this.#database
      .statement(
        `INSERT INTO key_quotas (key_id, pool_id, remaining, refill_amount, refill_interval, refilled_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key_id) DO UPDATE SET pool_id = excluded.pool_id, remaining = excluded.remaining,
           refill_amount = excluded.refill_amount, refill_interval = excluded.refill_interval,
           refilled_at = excluded.refilled_at`,
      )
      .run(
        keyId,
        quota.poolId,
        quota.remaining,
        quota.refill?.amount ?? null,
        quota.refill?.interval ?? null,
        quota.refilledAt,
      );
  }

  #insertToken(token: NewToken): void {
    const r = token.record;
    this.#database
      .statement(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        r.id,
        token.digest,
        r.start,
        r.name,
        JSON.stringify(r.permissions),
        r.projectIds === null ? null : JSON.stringify(r.projectIds),
        r.createdBy,
        r.createdAt,
        r.revokedAt,
        r.lastUsedAt,
        token.pepperVersion,
      );
  }
}
