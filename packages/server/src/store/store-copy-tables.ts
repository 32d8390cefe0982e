import { KeywardError } from "@keyward/core/keyward-error.js";

/**
 * What a column holds, whatever the dialect stores it as: `integer` is INTEGER in SQLite and INTEGER/BIGINT in
 * PostgreSQL, `boolean` INTEGER 0/1 in SQLite and BOOLEAN in PostgreSQL, `bytes` BLOB in SQLite and BYTEA in
 * PostgreSQL.
 */
export type CopyColumnType = "text" | "integer" | "boolean" | "bytes";

/** One column of a copied table. */
export interface CopyColumn {
  name: string;
  type: CopyColumnType;
}

/** One table `keyward store copy` copies: its columns and its primary key (the copy and digest order). */
export interface CopyTable {
  name: string;
  columns: readonly CopyColumn[];
  primaryKey: readonly string[];
  /**
   * Its rows are written by a migration (the audit chain's head): an empty store already has them, and the copy
   * replaces them instead of inserting.
   */
  seededByMigration?: boolean;
}

/** `INSERT` for most tables; for a table seeded by a migration, an upsert on its primary key. */
export function onConflictClause(table: CopyTable): string {
  if (table.seededByMigration !== true) return "";
  const updates = table.columns
    .filter((c) => !table.primaryKey.includes(c.name))
    .map((c) => `${quoteIdentifier(c.name)} = excluded.${quoteIdentifier(c.name)}`);
  return ` ON CONFLICT (${table.primaryKey.map(quoteIdentifier).join(", ")}) DO UPDATE SET ${updates.join(", ")}`;
}

/**
 * A value as both dialects' readers hand it over: integers as bigint (exact whatever their size), booleans as
 * booleans, bytes as Buffers, so that one row reads the same from SQLite and from PostgreSQL.
 */
export type CanonicalValue = string | bigint | boolean | Buffer | null;

/** One row, its values in the order of its table's `columns`. */
export type CanonicalRow = readonly CanonicalValue[];

function columns(spec: Record<string, CopyColumnType>): CopyColumn[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type }));
}

/**
 * Every table of the schema at its latest migration except `schema_migrations` (each store keeps its own), in
 * foreign-key order: a table comes after every table it references. `store-copy-tables.test.ts` checks this list
 * against both dialects' migrations, so a migration that adds a table or a column fails there until it is
 * listed here.
 */
export const COPY_TABLES: readonly CopyTable[] = [
  {
    name: "instance_settings",
    columns: columns({ name: "text", value: "text", created_at: "integer" }),
    primaryKey: ["name"],
  },
  {
    name: "peppers",
    columns: columns({
      name: "text",
      version: "integer",
      sealed_pepper: "text",
      created_at: "integer",
      activates_at: "integer",
      retired_at: "integer",
    }),
    primaryKey: ["name"],
  },
  {
    name: "projects",
    columns: columns({
      id: "text",
      name: "text",
      key_prefix: "text",
      created_at: "integer",
      policies: "text",
      ip_allowlist: "text",
      timezone: "text",
      recoverable_keys: "boolean",
      require_2fa: "boolean",
      deleted_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "keys",
    columns: columns({
      id: "text",
      project_id: "text",
      digest: "bytes",
      start: "text",
      name: "text",
      owner_id: "text",
      scopes: "text",
      meta: "text",
      created_at: "integer",
      updated_at: "integer",
      expires_at: "integer",
      enabled: "boolean",
      revoked_at: "integer",
      revoked_reason: "text",
      replaced_by: "text",
      replaces: "text",
      rate_limits: "text",
      ip_allowlist: "text",
      canary: "boolean",
      pepper_version: "integer",
      roles: "text",
    }),
    primaryKey: ["id"],
  },
  {
    name: "key_usage",
    columns: columns({ key_id: "text", last_used_at: "integer", verification_count: "integer" }),
    primaryKey: ["key_id"],
  },
  {
    name: "key_quotas",
    columns: columns({
      key_id: "text",
      pool_id: "text",
      remaining: "integer",
      refill_amount: "integer",
      refill_interval: "text",
      refilled_at: "integer",
    }),
    primaryKey: ["key_id"],
  },
  {
    name: "key_notices",
    columns: columns({ key_id: "text", kind: "text", subject_at: "integer", sent_at: "integer" }),
    primaryKey: ["key_id", "kind", "subject_at"],
  },
  {
    name: "tokens",
    columns: columns({
      id: "text",
      digest: "bytes",
      start: "text",
      name: "text",
      permissions: "text",
      project_ids: "text",
      created_by: "text",
      created_at: "integer",
      revoked_at: "integer",
      last_used_at: "integer",
      use_count: "integer",
      pepper_version: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "events",
    columns: columns({
      id: "text",
      project_id: "text",
      type: "text",
      key_id: "text",
      payload: "text",
      created_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "webhooks",
    columns: columns({
      id: "text",
      project_id: "text",
      url: "text",
      description: "text",
      events: "text",
      sealed_secret: "text",
      enabled: "boolean",
      created_at: "integer",
      updated_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "webhook_deliveries",
    columns: columns({
      webhook_id: "text",
      event_id: "text",
      status: "text",
      attempts: "integer",
      window_start: "integer",
      next_attempt_at: "integer",
      lease_until: "integer",
      delivered_at: "integer",
    }),
    primaryKey: ["webhook_id", "event_id"],
  },
  {
    name: "webhook_attempts",
    columns: columns({
      webhook_id: "text",
      event_id: "text",
      attempt: "integer",
      attempted_at: "integer",
      duration_ms: "integer",
      status_code: "integer",
      error: "text",
      response_body: "text",
    }),
    primaryKey: ["webhook_id", "event_id", "attempt"],
  },
  {
    name: "ratelimit_overrides",
    columns: columns({
      namespace: "text",
      identifier: "text",
      limit: "integer",
      window_ms: "integer",
      created_at: "integer",
    }),
    primaryKey: ["namespace", "identifier"],
  },
  {
    name: "usage_buckets",
    columns: columns({
      granularity: "text",
      key_id: "text",
      bucket_start: "integer",
      code: "text",
      project_id: "text",
      count: "integer",
    }),
    primaryKey: ["granularity", "key_id", "bucket_start", "code", "project_id"],
  },
  {
    name: "alerts",
    columns: columns({
      id: "text",
      project_id: "text",
      key_id: "text",
      type: "text",
      dedup_key: "text",
      first_seen_at: "integer",
      last_seen_at: "integer",
      occurrences: "integer",
      details: "text",
      acknowledged_at: "integer",
      acknowledged_by: "text",
    }),
    primaryKey: ["id"],
  },
  {
    name: "audit_entries",
    columns: columns({
      seq: "integer",
      id: "text",
      at: "integer",
      actor_type: "text",
      actor_id: "text",
      actor_name: "text",
      action: "text",
      target_type: "text",
      target_id: "text",
      project_id: "text",
      source_ip: "text",
      user_agent: "text",
      request_id: "text",
      outcome: "text",
      diff: "text",
      prev_hash: "text",
      hash: "text",
      mac: "text",
    }),
    primaryKey: ["seq"],
  },
  {
    name: "audit_head",
    columns: columns({ singleton: "integer", seq: "integer", hash: "text" }),
    primaryKey: ["singleton"],
    seededByMigration: true,
  },
  {
    name: "audit_checkpoints",
    columns: columns({
      seq: "integer",
      hash: "text",
      at: "integer",
      key_id: "text",
      signature: "text",
      kind: "text",
    }),
    primaryKey: ["seq"],
  },
  {
    name: "key_source_networks",
    columns: columns({ key_id: "text", network: "text", first_seen_at: "integer" }),
    primaryKey: ["key_id", "network"],
  },
  {
    name: "secrets",
    columns: columns({
      id: "text",
      project_id: "text",
      name: "text",
      sealed_value: "text",
      created_at: "integer",
      updated_at: "integer",
      created_by: "text",
      last_revealed_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "key_recoveries",
    columns: columns({
      key_id: "text",
      sealed_key: "text",
      created_at: "integer",
      last_revealed_at: "integer",
    }),
    primaryKey: ["key_id"],
  },
  {
    name: "users",
    columns: columns({
      id: "text",
      email: "text",
      name: "text",
      password_hash: "text",
      password_changed_at: "integer",
      totp_sealed_secret: "text",
      totp_confirmed_at: "integer",
      totp_last_step: "integer",
      created_by: "text",
      created_at: "integer",
      updated_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "user_roles",
    columns: columns({
      user_id: "text",
      scope: "text",
      role: "text",
      project_id: "text",
      created_at: "integer",
    }),
    primaryKey: ["user_id", "scope"],
  },
  {
    name: "user_recovery_codes",
    columns: columns({ user_id: "text", code_digest: "bytes", used_at: "integer" }),
    primaryKey: ["user_id", "code_digest"],
  },
  {
    name: "sessions",
    columns: columns({
      id: "text",
      secret_digest: "bytes",
      user_id: "text",
      kind: "text",
      created_at: "integer",
      last_seen_at: "integer",
      expires_at: "integer",
      second_factor_at: "integer",
      revoked_at: "integer",
      source_ip: "text",
      user_agent: "text",
    }),
    primaryKey: ["id"],
  },
  {
    name: "invitations",
    columns: columns({
      id: "text",
      secret_digest: "bytes",
      email: "text",
      role: "text",
      project_id: "text",
      created_by: "text",
      created_at: "integer",
      expires_at: "integer",
      accepted_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "identities",
    columns: columns({
      id: "text",
      external_id: "text",
      meta: "text",
      rate_limits: "text",
      created_at: "integer",
      updated_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "rbac_permissions",
    columns: columns({
      id: "text",
      slug: "text",
      name: "text",
      description: "text",
      created_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "rbac_roles",
    columns: columns({
      id: "text",
      name: "text",
      description: "text",
      created_at: "integer",
      updated_at: "integer",
    }),
    primaryKey: ["id"],
  },
  {
    name: "rbac_role_permissions",
    columns: columns({ role_id: "text", permission_id: "text" }),
    primaryKey: ["role_id", "permission_id"],
  },
  {
    name: "key_migrations",
    columns: columns({ migration_id: "text", project_id: "text", created_at: "integer" }),
    primaryKey: ["migration_id", "project_id"],
  },
];

/** The bookkeeping table of applied migrations: never copied, each store has its own from `migrate()`. */
export const MIGRATIONS_TABLE = "schema_migrations";

/** `name` as a quoted SQL identifier (both dialects): `limit` is a keyword, and quoting costs nothing. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The primary key values of `row`, in primary key order: the cursor of the batch after it. */
export function primaryKeyOf(table: CopyTable, row: CanonicalRow): CanonicalRow {
  return table.primaryKey.map((name) => {
    const position = table.columns.findIndex((c) => c.name === name);
    if (position < 0) throw new Error(`${table.name}.${name} is in the primary key but not in the columns`);
    return row[position] ?? null;
  });
}

/**
 * A driver's value as the canonical value of its column, the same for both dialects. Throws INTERNAL_ERROR,
 * naming the column (never the value, which may be a secret's digest), for a value the column cannot hold.
 */
export function toCanonical(table: CopyTable, column: CopyColumn, raw: unknown): CanonicalValue {
  if (raw === null || raw === undefined) return null;
  switch (column.type) {
    case "text":
      if (typeof raw === "string") return raw;
      break;
    case "integer":
      if (typeof raw === "bigint") return raw;
      if (typeof raw === "number" && Number.isSafeInteger(raw)) return BigInt(raw);
      if (typeof raw === "string" && /^-?\d+$/.test(raw)) return BigInt(raw);
      break;
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (raw === 1 || raw === 1n) return true;
      if (raw === 0 || raw === 0n) return false;
      break;
    case "bytes":
      if (Buffer.isBuffer(raw)) return raw;
      if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      break;
  }
  throw new KeywardError(
    "INTERNAL_ERROR",
    `Column ${table.name}.${column.name} holds a value that is not of its type (${column.type}).`,
  );
}
