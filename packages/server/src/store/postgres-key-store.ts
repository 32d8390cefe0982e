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
import { writeEffects } from "./postgres-change-effects.js";
import type { PostgresDatabase, Queryable } from "./postgres-database.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
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

/** Usage entries written per statement: one statement each, so a large batch never holds many locks for long. */
const USAGE_CHUNK = 1_000;

/** A usage batch as rows, one per id: the latest use and the sum of the counts. */
const MERGED_USAGE = `SELECT id, max(last_used_at) AS last_used_at, sum(count)::bigint AS count
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u (id, last_used_at, count) GROUP BY id`;

const KEY_COLUMN_LIST = [
  "id",
  "project_id",
  "digest",
  "start",
  "name",
  "owner_id",
  "scopes",
  "meta",
  "created_at",
  "updated_at",
  "expires_at",
  "enabled",
  "revoked_at",
  "revoked_reason",
  "replaced_by",
  "replaces",
  "rate_limits",
  "ip_allowlist",
  "canary",
  "pepper_version",
  "roles",
] as const;
const INSERT_KEY = `INSERT INTO keys (${KEY_COLUMN_LIST.join(", ")})
  VALUES (${KEY_COLUMN_LIST.map((_, i) => `$${i + 1}`).join(", ")})`;
/** A key row with its usage and quota, which live in their own tables. */
export const SELECT_KEYS = `SELECT ${KEY_COLUMN_LIST.map((c) => `k.${c}`).join(", ")}, u.last_used_at,
  q.pool_id AS quota_pool_id, q.remaining AS quota_remaining, q.refill_amount AS quota_refill_amount,
  q.refill_interval AS quota_refill_interval, q.refilled_at AS quota_refilled_at
  FROM keys k LEFT JOIN key_usage u ON u.key_id = k.id LEFT JOIN key_quotas q ON q.key_id = k.id`;
const TOKEN_COLUMNS =
  "id, digest, start, name, permissions, project_ids, created_by, created_at, revoked_at, last_used_at, pepper_version";
const PROJECT_COLUMNS =
  "id, name, key_prefix, policies, ip_allowlist, timezone, created_at, recoverable_keys, require_2fa";
const OVERRIDE_COLUMNS = `namespace, identifier, "limit", window_ms, created_at`;

/**
 * The {@link KeyStore} on PostgreSQL, for several nodes sharing one database. Checks and changes are single
 * guarded statements (`… WHERE revoked_at IS NULL RETURNING`, `ON CONFLICT DO NOTHING`), so they hold under
 * READ COMMITTED with concurrent writers; a change and its events commit in one transaction. Owns the pool it
 * shares with the other PostgreSQL stores: its `migrate`, `ping` and `close` serve all of them.
 */
export class PostgresKeyStore implements KeyStore {
  readonly #database: PostgresDatabase;
  #closed = false;

  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  async migrate(): Promise<number[]> {
    return this.#database.migrate(POSTGRES_MIGRATIONS, Date.now());
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.#database.query<{ version: number }>(
      "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations",
    );
    return rows[0]?.version ?? 0;
  }

  async ping(): Promise<void> {
    await this.#database.query("SELECT 1");
  }

  async close(): Promise<void> {
    // pg refuses to end a pool twice; closing is idempotent for callers.
    if (this.#closed) return;
    this.#closed = true;
    await this.#database.close();
  }

  async bootstrap(seed: BootstrapSeed): Promise<boolean> {
    return this.#database.transaction(async (tx): Promise<boolean> => {
      // The first pepper's row is the claim: a concurrent bootstrap waits on it, then inserts nothing and
      // returns false.
      const inserted = await tx.query(
        `INSERT INTO peppers (name, version, sealed_pepper, created_at, activates_at) VALUES ($1, 1, $2, $3, $3)
         ON CONFLICT DO NOTHING`,
        [FIRST_PEPPER_NAME, seed.sealedPepper, seed.defaultProject.createdAt],
      );
      if (inserted.rowCount === 0) return false;
      await insertProject(tx, seed.defaultProject);
      await tx.query("INSERT INTO instance_settings (name, value, created_at) VALUES ($1, $2, $3)", [
        DEFAULT_PROJECT_SETTING,
        seed.defaultProject.id,
        seed.defaultProject.createdAt,
      ]);
      await insertToken(tx, seed.rootToken);
      return true;
    });
  }

  async readInstanceSetting(name: string): Promise<string | null> {
    const { rows } = await this.#database.query<{ value: string }>(
      "SELECT value FROM instance_settings WHERE name = $1",
      [name],
    );
    return rows[0]?.value ?? null;
  }

  async createProject(project: ProjectRecord, effects: readonly ChangeEffect[] = []): Promise<void> {
    if (effects.length === 0) {
      await insertProject(this.#database, project);
      return;
    }
    await this.#database.transaction(async (tx) => {
      await insertProject(tx, project);
      await writeEffects(tx, effects);
    });
  }

  async findProject(id: string): Promise<ProjectRecord | null> {
    const { rows } = await this.#database.query<ProjectRow>(
      `SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0] === undefined ? null : toProject(rows[0]);
  }

  async listProjects(query: PageQuery): Promise<ProjectRecord[]> {
    const { rows } = await this.#database.query<ProjectRow>(
      `SELECT ${PROJECT_COLUMNS} FROM projects WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2`,
      [query.after ?? "", query.limit],
    );
    return rows.map(toProject);
  }

  async listProjectIdsRequiring2fa(): Promise<string[]> {
    const { rows } = await this.#database.query<{ id: string }>(
      "SELECT id FROM projects WHERE require_2fa AND deleted_at IS NULL",
      [],
    );
    return rows.map((row) => row.id);
  }

  async updateProject(
    id: string,
    patch: ProjectPatch,
    effectsFor?: EffectsFor<ProjectRecord>,
  ): Promise<ProjectRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const column = (name: string, value: unknown): void => {
      params.push(value);
      sets.push(`${name} = $${params.length}`);
    };
    if (patch.name !== undefined) column("name", patch.name);
    if (patch.policies !== undefined) column("policies", JSON.stringify(patch.policies));
    if (patch.ipAllowlist !== undefined) {
      column("ip_allowlist", patch.ipAllowlist === null ? null : JSON.stringify(patch.ipAllowlist));
    }
    if (patch.timezone !== undefined) column("timezone", patch.timezone);
    if (patch.recoverableKeys !== undefined) column("recoverable_keys", patch.recoverableKeys);
    if (patch.require2fa !== undefined) column("require_2fa", patch.require2fa);
    if (sets.length === 0) return this.findProject(id);
    // One statement: the change and the record it returns are one atomic step; its effects join its transaction.
    return this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<ProjectRow>(
        `UPDATE projects SET ${sets.join(", ")} WHERE id = $1 AND deleted_at IS NULL RETURNING ${PROJECT_COLUMNS}`,
        params,
      );
      if (rows[0] === undefined) return null;
      const updated = toProject(rows[0]);
      // Turning recovery off takes back what it kept: no copy outlives the setting that allowed it.
      if (patch.recoverableKeys === false) {
        await tx.query(
          "DELETE FROM key_recoveries WHERE key_id IN (SELECT id FROM keys WHERE project_id = $1)",
          [id],
        );
      }
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(updated));
      return updated;
    });
  }

  async deleteProject(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<ProjectRecord>,
  ): Promise<ProjectRecord | null> {
    return this.#database.transaction(async (tx): Promise<ProjectRecord | null> => {
      // The deleted_at IS NULL guard makes the first deletion the only one that writes its effects.
      const { rows } = await tx.query<ProjectRow>(
        `UPDATE projects SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING ${PROJECT_COLUMNS}`,
        [id, nowMs],
      );
      if (rows[0] === undefined) return null;
      // The copies of dead keys are kept for nothing: none outlives its project.
      await tx.query(
        "DELETE FROM key_recoveries WHERE key_id IN (SELECT id FROM keys WHERE project_id = $1)",
        [id],
      );
      const project = toProject(rows[0]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(project));
      return project;
    });
  }

  async createKey(key: NewKey, effects: readonly ChangeEffect[] = []): Promise<void> {
    await this.#database.transaction(async (tx) => {
      await insertKey(tx, key);
      await writeEffects(tx, effects);
    });
  }

  async findKey(id: string): Promise<KeyRecord | null> {
    return readKey(this.#database, id);
  }

  async findKeyByAnyDigest(digests: readonly Buffer[]): Promise<WithDigest<KeyRecord> | null> {
    const { rows } = await this.#database.queryPrepared<KeyRow>(
      "keyward_find_key_by_any_digest",
      `${SELECT_KEYS} WHERE k.digest = ANY ($1::bytea[]) LIMIT 1`,
      [digests],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : { record: toKey(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async findKeyByDigest(digest: Buffer): Promise<WithDigest<KeyRecord> | null> {
    const { rows } = await this.#database.queryPrepared<KeyRow>(
      "keyward_find_key_by_digest",
      `${SELECT_KEYS} WHERE k.digest = $1`,
      [digest],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : { record: toKey(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async importKeys(batch: KeyImportBatch): Promise<KeyImportOutcome[]> {
    return this.#database.transaction(async (tx): Promise<KeyImportOutcome[]> => {
      await tx.query(
        `INSERT INTO key_migrations (migration_id, project_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [batch.migrationId, batch.projectId, batch.nowMs],
      );
      const { rows } = await tx.query<{ digest: Buffer }>(
        "SELECT digest FROM keys WHERE digest = ANY ($1::bytea[])",
        [batch.keys.map((key) => key.digest)],
      );
      // A concurrent import of the same hash commits first or makes this insert fail whole with CONFLICT.
      const taken = new Set(rows.map((row) => row.digest.toString("hex")));
      const outcomes: KeyImportOutcome[] = [];
      const imported: KeyRecord[] = [];
      for (const key of batch.keys) {
        const digest = key.digest.toString("hex");
        if (taken.has(digest)) {
          outcomes.push("duplicate");
          continue;
        }
        taken.add(digest);
        await insertKey(tx, key);
        imported.push(key.record);
        outcomes.push("imported");
      }
      if (batch.effectsFor !== undefined) await writeEffects(tx, imported.flatMap(batch.effectsFor));
      return outcomes;
    });
  }

  async keyImportStatus(nowMs: number): Promise<KeyImportStatus> {
    // The partial index keys_imported_pending holds the unrevoked ones; their expiry is checked row by row.
    const { rows } = await this.#database.query<{ migrations: boolean; pending: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM key_migrations) AS migrations,
         EXISTS (SELECT 1 FROM keys WHERE pepper_version = ${IMPORTED_PEPPER_VERSION} AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > $1)) AS pending`,
      [nowMs],
    );
    return { migrations: rows[0]?.migrations === true, pending: rows[0]?.pending === true };
  }

  async hasKeyMigration(migrationId: string, projectIds: readonly string[] | null): Promise<boolean> {
    if (projectIds !== null && projectIds.length === 0) return false;
    const { rows } =
      projectIds === null
        ? await this.#database.query("SELECT 1 FROM key_migrations WHERE migration_id = $1 LIMIT 1", [
            migrationId,
          ])
        : await this.#database.query(
            "SELECT 1 FROM key_migrations WHERE migration_id = $1 AND project_id = ANY ($2::text[]) LIMIT 1",
            [migrationId, projectIds],
          );
    return rows.length > 0;
  }

  async listKeys(query: KeyQuery): Promise<KeyRecord[]> {
    if (query.projectIds !== null && query.projectIds.length === 0) return [];
    const params: unknown[] = [query.after ?? ""];
    const where = ["k.id > $1"];
    if (query.projectIds !== null) {
      params.push(query.projectIds);
      where.push(`k.project_id = ANY($${params.length}::text[])`);
    }
    if (query.ownerId !== undefined) {
      params.push(query.ownerId);
      where.push(`k.owner_id = $${params.length}`);
    }
    params.push(query.limit);
    const { rows } = await this.#database.query<KeyRow>(
      `${SELECT_KEYS} WHERE ${where.join(" AND ")} ORDER BY k.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toKey);
  }

  async updateKey(
    id: string,
    patch: KeyPatch,
    nowMs: number,
    effectsFor?: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null> {
    const params: unknown[] = [id, nowMs];
    const sets: string[] = ["updated_at = $2"];
    const column = (name: string, value: unknown): void => {
      params.push(value);
      sets.push(`${name} = $${params.length}`);
    };
    if (patch.name !== undefined) column("name", patch.name);
    if (patch.ownerId !== undefined) column("owner_id", patch.ownerId);
    if (patch.scopes !== undefined) column("scopes", JSON.stringify(patch.scopes));
    if (patch.roles !== undefined) column("roles", JSON.stringify(patch.roles));
    if (patch.meta !== undefined) column("meta", JSON.stringify(patch.meta));
    if (patch.expiresAt !== undefined) column("expires_at", patch.expiresAt);
    if (patch.enabled !== undefined) column("enabled", patch.enabled);
    if (patch.rateLimits !== undefined) column("rate_limits", JSON.stringify(patch.rateLimits));
    if (patch.ipAllowlist !== undefined) {
      column("ip_allowlist", patch.ipAllowlist === null ? null : JSON.stringify(patch.ipAllowlist));
    }
    const sql = `UPDATE keys SET ${sets.join(", ")} WHERE id = $1`;
    // Update, read back and write events in one transaction: the record and events are exactly what it left.
    return this.#database.transaction(async (tx): Promise<KeyRecord | null> => {
      if ((await tx.query(sql, params)).rowCount === 0) return null;
      if (patch.quota === null) await tx.query("DELETE FROM key_quotas WHERE key_id = $1", [id]);
      else if (patch.quota !== undefined) await writeQuota(tx, id, patch.quota);
      const updated = await readKey(tx, id);
      if (updated !== null && effectsFor !== undefined) await writeEffects(tx, effectsFor(updated));
      return updated;
    });
  }

  async revokeKey(
    id: string,
    reason: string | null,
    nowMs: number,
    effectsFor?: EffectsFor<KeyRecord>,
  ): Promise<KeyRecord | null> {
    return this.#database.transaction(async (tx): Promise<KeyRecord | null> => {
      // The revoked_at IS NULL guard keeps the first revocation's time and reason, and its events the only ones:
      // a concurrent revoke waits on the row lock, re-checks the guard and matches nothing.
      const { rowCount } = await tx.query(
        `UPDATE keys SET revoked_at = $2, revoked_reason = $3, updated_at = $2
         WHERE id = $1 AND revoked_at IS NULL`,
        [id, nowMs, reason],
      );
      // A revoked key has no use left for its recoverable copy, only risk: the copy goes with the revocation.
      if (rowCount > 0) await tx.query("DELETE FROM key_recoveries WHERE key_id = $1", [id]);
      const record = await readKey(tx, id);
      if (rowCount > 0 && record !== null && effectsFor !== undefined) {
        await writeEffects(tx, effectsFor(record));
      }
      return record;
    });
  }

  async deleteKey(id: string, effectsFor?: EffectsFor<KeyRecord>): Promise<KeyRecord | null> {
    return this.#database.transaction(async (tx): Promise<KeyRecord | null> => {
      // Locks the row first: a concurrent change waits, then finds nothing left to change.
      const { rowCount } = await tx.query("SELECT 1 FROM keys WHERE id = $1 FOR UPDATE", [id]);
      if (rowCount === 0) return null;
      const record = await readKey(tx, id);
      if (record === null) return null;
      for (const table of KEY_DEPENDENT_TABLES) {
        await tx.query(`DELETE FROM ${table} WHERE key_id = $1`, [id]);
      }
      // The other side of a rotation keeps its record; only its link to the erased key goes.
      await tx.query("UPDATE keys SET replaced_by = NULL WHERE replaced_by = $1", [id]);
      await tx.query("UPDATE keys SET replaces = NULL WHERE replaces = $1", [id]);
      await tx.query("DELETE FROM keys WHERE id = $1", [id]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(record));
      return record;
    });
  }

  async revokeKeys(revocation: BulkRevocation, effectsFor?: EffectsFor<KeyRecord>): Promise<KeyRecord[]> {
    const { projectIds, ownerId, reason, nowMs, limit } = revocation;
    if (projectIds !== null && projectIds.length === 0) return [];
    const params: unknown[] = [nowMs, reason, limit];
    const where = ["revoked_at IS NULL"];
    if (projectIds !== null) {
      params.push(projectIds);
      where.push(`project_id = ANY($${params.length}::text[])`);
    }
    if (ownerId !== undefined) {
      params.push(ownerId);
      where.push(`owner_id = $${params.length}`);
    }
    // The outer guard is re-checked on rows a concurrent revocation changed first, so no key is revoked twice.
    const sql = `UPDATE keys SET revoked_at = $1, revoked_reason = $2, updated_at = $1
      WHERE revoked_at IS NULL
        AND id IN (SELECT id FROM keys WHERE ${where.join(" AND ")} ORDER BY id LIMIT $3)
      RETURNING id`;
    return this.#database.transaction(async (tx): Promise<KeyRecord[]> => {
      const { rows: changed } = await tx.query<{ id: string }>(sql, params);
      if (changed.length === 0) return [];
      await tx.query("DELETE FROM key_recoveries WHERE key_id = ANY($1::text[])", [changed.map((r) => r.id)]);
      const { rows } = await tx.query<KeyRow>(`${SELECT_KEYS} WHERE k.id = ANY($1::text[]) ORDER BY k.id`, [
        changed.map((r) => r.id),
      ]);
      const revoked = rows.map(toKey);
      if (effectsFor !== undefined) await writeEffects(tx, revoked.flatMap(effectsFor));
      return revoked;
    });
  }

  async rotateKey(
    rotation: KeyRotation,
    effectsFor?: (old: KeyRecord, replacement: KeyRecord) => ChangeEffect[],
  ): Promise<RotationOutcome> {
    const { oldId, replacement, oldExpiresAt, nowMs } = rotation;
    return this.#database.transaction(async (tx): Promise<RotationOutcome> => {
      // The guards make the check and the change one step: a concurrent rotation waits on the row lock,
      // re-checks replaced_by IS NULL and matches nothing.
      const { rowCount } = await tx.query(
        `UPDATE keys SET replaced_by = $2, updated_at = $3,
           expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < $4 THEN expires_at ELSE $4 END
         WHERE id = $1 AND revoked_at IS NULL AND replaced_by IS NULL`,
        [oldId, replacement.record.id, nowMs, oldExpiresAt],
      );
      if (rowCount === 0) {
        const existing = await readKey(tx, oldId);
        if (existing === null) return { outcome: "not_found" };
        return { outcome: existing.revokedAt !== null ? "revoked" : "already_rotated" };
      }
      await insertKey(tx, replacement);
      const old = await readKey(tx, oldId);
      const added = await readKey(tx, replacement.record.id);
      if (old === null || added === null) throw new Error("A rotated key vanished inside its transaction.");
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(old, added));
      return { outcome: "rotated", old, replacement: added };
    });
  }

  async recordKeyUsage(entries: readonly UsageEntry[]): Promise<void> {
    // Entries are merged per id first (ON CONFLICT may touch a row once per statement) and written in id order,
    // so concurrent batches lock rows in the same order. The join with keys ignores unknown ids instead of
    // creating orphan usage rows.
    await this.#writeUsage(
      `INSERT INTO key_usage (key_id, last_used_at, verification_count)
       SELECT k.id, e.last_used_at, e.count FROM (${MERGED_USAGE}) e JOIN keys k ON k.id = e.id ORDER BY k.id
       ON CONFLICT (key_id) DO UPDATE SET
         last_used_at = GREATEST(key_usage.last_used_at, EXCLUDED.last_used_at),
         verification_count = key_usage.verification_count + EXCLUDED.verification_count`,
      entries,
    );
  }

  async recordQuotaBalances(entries: readonly QuotaBalanceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // The batch applied in order, folded per pool: the last balance not older than the ones before it.
    const latest = new Map<string, QuotaBalanceEntry>();
    for (const entry of entries) {
      const seen = latest.get(entry.poolId);
      if (seen === undefined || entry.refilledAt >= seen.refilledAt) latest.set(entry.poolId, entry);
    }
    const merged = [...latest.values()];
    // Never back to an older refill period: a late write from before a refill must not undo it.
    await this.#database.query(
      `UPDATE key_quotas q SET remaining = e.remaining, refilled_at = e.refilled_at
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS e (pool_id, remaining, refilled_at)
       WHERE q.pool_id = e.pool_id AND q.refilled_at <= e.refilled_at`,
      [merged.map((e) => e.poolId), merged.map((e) => e.remaining), merged.map((e) => e.refilledAt)],
    );
  }

  async recordUsageBuckets(entries: readonly UsageBucketEntry[]): Promise<void> {
    const rows = rollUpUsage(entries);
    if (rows.length === 0) return;
    // One transaction for the whole batch (a failed batch is retried whole; a partly written one would count
    // twice), in chunks of rows merged and sorted by primary key, so concurrent nodes lock rows in one order.
    await this.#database.transaction(async (tx) => {
      for (let start = 0; start < rows.length; start += USAGE_CHUNK) {
        const chunk = rows.slice(start, start + USAGE_CHUNK);
        await tx.query(
          `INSERT INTO usage_buckets (granularity, key_id, bucket_start, code, project_id, count)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[])
           ON CONFLICT (granularity, key_id, bucket_start, code, project_id)
           DO UPDATE SET count = usage_buckets.count + EXCLUDED.count`,
          [
            chunk.map((r) => r.granularity),
            chunk.map((r) => r.keyId),
            chunk.map((r) => r.bucketStart),
            chunk.map((r) => r.code),
            chunk.map((r) => r.projectId),
            chunk.map((r) => r.count),
          ],
        );
      }
    });
  }

  async keyUsage(query: KeyUsageQuery): Promise<UsageBucket[]> {
    const { rows } = await this.#database.query<{ bucket_start: string; code: string; count: string }>(
      `SELECT bucket_start, code, SUM(count)::bigint AS count FROM usage_buckets
       WHERE granularity = $1 AND key_id = $2 AND bucket_start >= $3 AND bucket_start < $4
       GROUP BY bucket_start, code ORDER BY bucket_start, code`,
      [query.granularity, query.keyId, query.fromMs, query.toMs],
    );
    return foldBuckets(rows);
  }

  async projectUsage(query: ProjectUsageQuery): Promise<ProjectUsage> {
    const { projectIds } = query;
    if (projectIds !== null && projectIds.length === 0) return { buckets: [], groups: [] };
    const params: unknown[] = [query.granularity, query.fromMs, query.toMs];
    let filter = "FROM usage_buckets WHERE granularity = $1 AND bucket_start >= $2 AND bucket_start < $3";
    if (projectIds !== null) {
      params.push([...projectIds]);
      filter += " AND project_id = ANY($4::text[])";
    }
    const { rows: bucketRows } = await this.#database.query<{
      bucket_start: string;
      code: string;
      count: string;
    }>(
      `SELECT bucket_start, code, SUM(count)::bigint AS count ${filter}
       GROUP BY bucket_start, code ORDER BY bucket_start, code`,
      params,
    );
    const buckets = foldBuckets(bucketRows);
    const column = query.groupBy === "key" ? "key_id" : "code";
    const { rows: totals } = await this.#database.query<{ id: string; total: string }>(
      `SELECT ${column} AS id, SUM(count)::bigint AS total ${filter}
       GROUP BY ${column} ORDER BY total DESC, id LIMIT $${params.length + 1}`,
      [...params, query.limit],
    );
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
    const { rows: codeRows } = await this.#database.query<{ id: string; code: string; count: string }>(
      `SELECT key_id AS id, code, SUM(count)::bigint AS count ${filter}
       AND key_id = ANY($${params.length + 1}::text[]) GROUP BY key_id, code`,
      [...params, totals.map((t) => t.id)],
    );
    return { buckets, groups: foldGroups(totals, codeRows) };
  }

  async pruneUsageBuckets(pruning: UsagePruning): Promise<number> {
    const { rowCount } = await this.#database.query(
      `DELETE FROM usage_buckets
       WHERE (granularity = 'minute' AND bucket_start < $1) OR (granularity = 'hour' AND bucket_start < $2)`,
      [pruning.minutesBeforeMs, pruning.hoursBeforeMs],
    );
    return rowCount;
  }

  async raiseAlert(raise: AlertRaise, effectsFor?: EffectsFor<AlertRecord>): Promise<RaisedAlert> {
    return this.#database.transaction(async (tx): Promise<RaisedAlert> => {
      // Under READ COMMITTED two nodes could both find no open alert and both insert one; a transaction lock per
      // dedup key makes the second wait for the first to commit, then find its alert and add to it.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`keyward-alert:${raise.dedupKey}`]);
      const { rows: repeated } = await tx.query<AlertRow>(
        `UPDATE alerts SET occurrences = occurrences + 1, last_seen_at = GREATEST(last_seen_at, $1)
         WHERE id = (SELECT id FROM alerts WHERE dedup_key = $2 AND acknowledged_at IS NULL AND last_seen_at >= $3
                     ORDER BY last_seen_at DESC LIMIT 1)
         RETURNING ${ALERT_COLUMNS}`,
        [raise.atMs, raise.dedupKey, raise.atMs - raise.quietMs],
      );
      const found = repeated[0];
      if (found !== undefined) return { alert: toAlert(found), raised: false };
      const { rows } = await tx.query<AlertRow>(
        `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING ${ALERT_COLUMNS}`,
        alertParams(raise),
      );
      const inserted = rows[0];
      if (inserted === undefined) throw new Error("INSERT … RETURNING returned no row.");
      const alert = toAlert(inserted);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(alert));
      return { alert, raised: true };
    });
  }

  async findAlert(id: string): Promise<AlertRecord | null> {
    const { rows } = await this.#database.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row === undefined ? null : toAlert(row);
  }

  async listAlerts(query: AlertQuery): Promise<AlertRecord[]> {
    if (query.projectIds !== null && query.projectIds.length === 0) return [];
    const params: unknown[] = [query.after ?? ""];
    const where = ["id > $1"];
    if (query.projectIds !== null) {
      params.push(query.projectIds);
      where.push(`project_id = ANY($${params.length}::text[])`);
    }
    if (query.acknowledged !== undefined) {
      where.push(query.acknowledged ? "acknowledged_at IS NOT NULL" : "acknowledged_at IS NULL");
    }
    if (query.type !== undefined) {
      params.push(query.type);
      where.push(`type = $${params.length}`);
    }
    params.push(query.limit);
    const { rows } = await this.#database.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where.join(" AND ")} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toAlert);
  }

  async acknowledgeAlert(
    id: string,
    by: string | null,
    nowMs: number,
    effectsFor?: EffectsFor<AlertRecord>,
  ): Promise<AlertRecord | null> {
    // The acknowledged_at IS NULL guard keeps the first acknowledgement; a concurrent one matches nothing, and
    // only the one that matched writes effects.
    const acknowledged = await this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<AlertRow>(
        `UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 AND acknowledged_at IS NULL
         RETURNING ${ALERT_COLUMNS}`,
        [id, nowMs, by],
      );
      if (rows[0] === undefined) return null;
      const alert = toAlert(rows[0]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(alert));
      return alert;
    });
    return acknowledged ?? this.findAlert(id);
  }

  async setRateLimitOverride(
    override: RateLimitOverride,
    effects: readonly ChangeEffect[] = [],
  ): Promise<void> {
    await this.#database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ratelimit_overrides (${OVERRIDE_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (namespace, identifier) DO UPDATE SET "limit" = EXCLUDED."limit", window_ms = EXCLUDED.window_ms`,
        [override.namespace, override.identifier, override.limit, override.windowMs, override.createdAt],
      );
      await writeEffects(tx, effects);
    });
  }

  async findRateLimitOverride(namespace: string, identifier: string): Promise<RateLimitOverride | null> {
    const { rows } = await this.#database.query<OverrideRow>(
      `SELECT ${OVERRIDE_COLUMNS} FROM ratelimit_overrides WHERE namespace = $1 AND identifier = $2`,
      [namespace, identifier],
    );
    return rows[0] === undefined ? null : toOverride(rows[0]);
  }

  async listRateLimitOverrides(namespace: string, query: PageQuery): Promise<RateLimitOverride[]> {
    const { rows } = await this.#database.query<OverrideRow>(
      `SELECT ${OVERRIDE_COLUMNS} FROM ratelimit_overrides
       WHERE namespace = $1 AND identifier > $2 ORDER BY identifier LIMIT $3`,
      [namespace, query.after ?? "", query.limit],
    );
    return rows.map(toOverride);
  }

  async deleteRateLimitOverride(
    namespace: string,
    identifier: string,
    effects: readonly ChangeEffect[] = [],
  ): Promise<boolean> {
    return this.#database.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        "DELETE FROM ratelimit_overrides WHERE namespace = $1 AND identifier = $2",
        [namespace, identifier],
      );
      if (rowCount > 0) await writeEffects(tx, effects);
      return rowCount > 0;
    });
  }

  async createToken(token: NewToken, effects: readonly ChangeEffect[] = []): Promise<void> {
    await this.#database.transaction(async (tx) => {
      await insertToken(tx, token);
      await writeEffects(tx, effects);
    });
  }

  async findToken(id: string): Promise<TokenRecord | null> {
    const { rows } = await this.#database.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? null : toToken(rows[0]);
  }

  async findTokenByAnyDigest(digests: readonly Buffer[]): Promise<WithDigest<TokenRecord> | null> {
    const { rows } = await this.#database.queryPrepared<TokenRow>(
      "keyward_find_token_by_any_digest",
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = ANY ($1::bytea[]) LIMIT 1`,
      [digests],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : { record: toToken(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async findTokenByDigest(digest: Buffer): Promise<WithDigest<TokenRecord> | null> {
    const { rows } = await this.#database.queryPrepared<TokenRow>(
      "keyward_find_token_by_digest",
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = $1`,
      [digest],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : { record: toToken(row), digest: row.digest, pepperVersion: row.pepper_version };
  }

  async listTokens(query: PageQuery): Promise<TokenRecord[]> {
    const { rows } = await this.#database.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id > $1 ORDER BY id LIMIT $2`,
      [query.after ?? "", query.limit],
    );
    return rows.map(toToken);
  }

  async revokeToken(
    id: string,
    nowMs: number,
    effectsFor?: EffectsFor<TokenRecord>,
  ): Promise<TokenRecord | null> {
    const revoked = await this.#database.transaction(async (tx) => {
      const { rows } = await tx.query<TokenRow>(
        `UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${TOKEN_COLUMNS}`,
        [id, nowMs],
      );
      if (rows[0] === undefined) return null;
      const token = toToken(rows[0]);
      if (effectsFor !== undefined) await writeEffects(tx, effectsFor(token));
      return token;
    });
    return revoked ?? this.findToken(id);
  }

  async recordTokenUsage(entries: readonly UsageEntry[]): Promise<void> {
    await this.#writeUsage(
      `UPDATE tokens t SET last_used_at = GREATEST(COALESCE(t.last_used_at, 0), e.last_used_at),
         use_count = t.use_count + e.count
       FROM (${MERGED_USAGE}) e WHERE t.id = e.id`,
      entries,
    );
  }

  /** Runs `sql` (whose `e` is {@link MERGED_USAGE} over $1 ids, $2 times, $3 counts) per chunk of entries. */
  async #writeUsage(sql: string, entries: readonly UsageEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += USAGE_CHUNK) {
      const chunk = entries.slice(start, start + USAGE_CHUNK);
      await this.#database.query(sql, [
        chunk.map((e) => e.id),
        chunk.map((e) => e.lastUsedAt),
        chunk.map((e) => e.count),
      ]);
    }
  }
}

async function readKey(db: Queryable, id: string): Promise<KeyRecord | null> {
  const { rows } = await db.query<KeyRow>(`${SELECT_KEYS} WHERE k.id = $1`, [id]);
  return rows[0] === undefined ? null : toKey(rows[0]);
}

async function insertKey(tx: Queryable, key: NewKey): Promise<void> {
  const r = key.record;
  await tx.query(INSERT_KEY, [
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
    r.enabled,
    r.revokedAt,
    r.revokedReason,
    r.replacedBy,
    r.replaces,
    JSON.stringify(r.rateLimits),
    r.ipAllowlist === null ? null : JSON.stringify(r.ipAllowlist),
    r.canary,
    key.pepperVersion,
    JSON.stringify(r.roles),
  ]);
  if (r.quota !== null) await writeQuota(tx, r.id, r.quota);
  if (r.lastUsedAt !== null) {
    await tx.query("INSERT INTO key_usage (key_id, last_used_at, verification_count) VALUES ($1, $2, 0)", [
      r.id,
      r.lastUsedAt,
    ]);
  }
  if (key.sealedCopy !== undefined) {
    await tx.query("INSERT INTO key_recoveries (key_id, sealed_key, created_at) VALUES ($1, $2, $3)", [
      r.id,
      key.sealedCopy,
      r.createdAt,
    ]);
  }
}

async function insertProject(db: Queryable, project: ProjectRecord): Promise<void> {
  await db.query(`INSERT INTO projects (${PROJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    project.id,
    project.name,
    project.keyPrefix,
    JSON.stringify(project.policies),
    project.ipAllowlist === null ? null : JSON.stringify(project.ipAllowlist),
    project.timezone,
    project.createdAt,
    project.recoverableKeys,
    project.require2fa,
  ]);
}

/** Creates or replaces a key's quota row. */
async function writeQuota(tx: Queryable, keyId: string, quota: KeyQuota): Promise<void> {
  await tx.query(
    `INSERT INTO key_quotas (key_id, pool_id, remaining, refill_amount, refill_interval, refilled_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (key_id) DO UPDATE SET pool_id = EXCLUDED.pool_id, remaining = EXCLUDED.remaining,
       refill_amount = EXCLUDED.refill_amount, refill_interval = EXCLUDED.refill_interval,
       refilled_at = EXCLUDED.refilled_at`,
    [
      keyId,
      quota.poolId,
      quota.remaining,
      quota.refill?.amount ?? null,
      quota.refill?.interval ?? null,
      quota.refilledAt,
    ],
  );
}

async function insertToken(db: Queryable, token: NewToken): Promise<void> {
  const r = token.record;
  await db.query(
    `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
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
    ],
  );
}
