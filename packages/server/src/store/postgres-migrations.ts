/** One schema change; applied in order, each in the migration transaction, recorded in `schema_migrations`. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The PostgreSQL schema, as an append-only list: never edit a released migration, add a new one. Versions and
 * names match the SQLite list (`sqlite-migrations.ts`), so both dialects report the same schema version.
 * Times are BIGINT epoch milliseconds; JSON is kept as TEXT, exactly as written, like SQLite does. Ids sort by
 * byte value (COLLATE "C"), as in SQLite: their time order and the `after` cursors depend on it, whatever the
 * database's default collation.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: "foundation",
    sql: `
      CREATE TABLE instance_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE projects (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        key_prefix TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE keys (
        id TEXT COLLATE "C" PRIMARY KEY,
        project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
        digest BYTEA NOT NULL UNIQUE,
        start TEXT NOT NULL,
        name TEXT,
        owner_id TEXT COLLATE "C",
        scopes TEXT NOT NULL,
        meta TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expires_at BIGINT,
        enabled BOOLEAN NOT NULL,
        revoked_at BIGINT,
        revoked_reason TEXT
      );
      CREATE INDEX keys_project_id ON keys (project_id, id);
      CREATE INDEX keys_owner_id ON keys (owner_id, id);

      -- Usage apart from the key record, as in SQLite: batched usage upserts touch this narrow table only.
      CREATE TABLE key_usage (
        key_id TEXT COLLATE "C" PRIMARY KEY,
        last_used_at BIGINT NOT NULL,
        verification_count BIGINT NOT NULL
      );

      CREATE TABLE tokens (
        id TEXT COLLATE "C" PRIMARY KEY,
        digest BYTEA NOT NULL UNIQUE,
        start TEXT NOT NULL,
        name TEXT NOT NULL,
        permissions TEXT NOT NULL,
        project_ids TEXT,
        created_by TEXT,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        last_used_at BIGINT,
        use_count BIGINT NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 2,
    name: "lifecycle and webhooks",
    sql: `
      ALTER TABLE projects ADD COLUMN policies TEXT NOT NULL DEFAULT '{}';

      ALTER TABLE keys ADD COLUMN replaced_by TEXT COLLATE "C";
      ALTER TABLE keys ADD COLUMN replaces TEXT COLLATE "C";
      CREATE INDEX keys_expires_at ON keys (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;
      CREATE INDEX keys_project_created_at ON keys (project_id, created_at);

      -- One row per notice sent: the primary key is what makes a notice fire once across processes.
      CREATE TABLE key_notices (
        key_id TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        subject_at BIGINT NOT NULL,
        sent_at BIGINT NOT NULL,
        PRIMARY KEY (key_id, kind, subject_at)
      );

      -- The outbox: written in the transaction of the change that caused the event.
      CREATE TABLE events (
        id TEXT COLLATE "C" PRIMARY KEY,
        project_id TEXT COLLATE "C" NOT NULL,
        type TEXT NOT NULL,
        key_id TEXT COLLATE "C",
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX events_created_at ON events (created_at);

      CREATE TABLE webhooks (
        id TEXT COLLATE "C" PRIMARY KEY,
        project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
        url TEXT NOT NULL,
        description TEXT,
        events TEXT NOT NULL,
        sealed_secret TEXT NOT NULL,
        enabled BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX webhooks_project_id ON webhooks (project_id, id);

      CREATE TABLE webhook_deliveries (
        webhook_id TEXT COLLATE "C" NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id TEXT COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        window_start BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT,
        delivered_at BIGINT,
        PRIMARY KEY (webhook_id, event_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at)
        WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_event_id ON webhook_deliveries (event_id);

      CREATE TABLE webhook_attempts (
        webhook_id TEXT COLLATE "C" NOT NULL,
        event_id TEXT COLLATE "C" NOT NULL,
        attempt INTEGER NOT NULL,
        attempted_at BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        status_code INTEGER,
        error TEXT,
        response_body TEXT,
        PRIMARY KEY (webhook_id, event_id, attempt),
        FOREIGN KEY (webhook_id, event_id) REFERENCES webhook_deliveries (webhook_id, event_id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 3,
    name: "limits and allowlists",
    sql: `
      ALTER TABLE keys ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE keys ADD COLUMN ip_allowlist TEXT;
      ALTER TABLE projects ADD COLUMN ip_allowlist TEXT;
      ALTER TABLE projects ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

      CREATE TABLE key_quotas (
        key_id TEXT COLLATE "C" PRIMARY KEY REFERENCES keys(id),
        pool_id TEXT COLLATE "C" NOT NULL,
        remaining BIGINT NOT NULL,
        refill_amount BIGINT,
        refill_interval TEXT,
        refilled_at BIGINT NOT NULL
      );
      CREATE INDEX key_quotas_pool_id ON key_quotas (pool_id);

      CREATE TABLE ratelimit_overrides (
        namespace TEXT COLLATE "C" NOT NULL,
        identifier TEXT COLLATE "C" NOT NULL,
        "limit" BIGINT NOT NULL,
        window_ms BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (namespace, identifier)
      );
    `,
  },
  {
    version: 4,
    name: "usage buckets",
    sql: `
      -- See the SQLite migration v4: additive minute/hour/day buckets per key and code; key_id '' for NOT_FOUND.
      CREATE TABLE usage_buckets (
        granularity TEXT COLLATE "C" NOT NULL,
        key_id TEXT COLLATE "C" NOT NULL,
        bucket_start BIGINT NOT NULL,
        code TEXT COLLATE "C" NOT NULL,
        project_id TEXT COLLATE "C" NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (granularity, key_id, bucket_start, code, project_id)
      );
      CREATE INDEX usage_buckets_project ON usage_buckets (project_id, granularity, bucket_start);
      CREATE INDEX usage_buckets_age ON usage_buckets (granularity, bucket_start);
    `,
  },
  {
    version: 5,
    name: "alerts",
    sql: `
      -- See the SQLite migration v5: canary keys and one alert row per storm.
      ALTER TABLE keys ADD COLUMN canary BOOLEAN NOT NULL DEFAULT FALSE;

      CREATE TABLE alerts (
        id TEXT COLLATE "C" PRIMARY KEY,
        project_id TEXT COLLATE "C" NOT NULL,
        key_id TEXT COLLATE "C",
        type TEXT COLLATE "C" NOT NULL,
        dedup_key TEXT COLLATE "C" NOT NULL,
        first_seen_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        occurrences BIGINT NOT NULL,
        details TEXT NOT NULL,
        acknowledged_at BIGINT,
        acknowledged_by TEXT
      );
      CREATE INDEX alerts_project ON alerts (project_id, id);
      CREATE INDEX alerts_open_dedup ON alerts (dedup_key, last_seen_at) WHERE acknowledged_at IS NULL;
    `,
  },
  {
    version: 6,
    name: "audit log",
    sql: `
      -- See the SQLite migration v6: hash-chained entries, the chain's head (locked by every append) and signed
      -- checkpoints.
      CREATE TABLE audit_entries (
        seq BIGINT PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        at BIGINT NOT NULL,
        actor_type TEXT COLLATE "C" NOT NULL,
        actor_id TEXT COLLATE "C" NOT NULL,
        actor_name TEXT,
        action TEXT COLLATE "C" NOT NULL,
        target_type TEXT COLLATE "C",
        target_id TEXT COLLATE "C",
        project_id TEXT COLLATE "C",
        source_ip TEXT,
        user_agent TEXT,
        request_id TEXT,
        outcome TEXT COLLATE "C" NOT NULL,
        diff TEXT NOT NULL,
        prev_hash TEXT COLLATE "C" NOT NULL,
        hash TEXT COLLATE "C" NOT NULL,
        mac TEXT
      );
      CREATE INDEX audit_entries_hash ON audit_entries (hash);
      CREATE INDEX audit_entries_at ON audit_entries (at);
      CREATE INDEX audit_entries_actor ON audit_entries (actor_id, seq);
      CREATE INDEX audit_entries_target ON audit_entries (target_id, seq);
      CREATE INDEX audit_entries_action ON audit_entries (action, seq);
      CREATE INDEX audit_entries_project ON audit_entries (project_id, seq);

      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq BIGINT NOT NULL,
        hash TEXT COLLATE "C" NOT NULL
      );
      INSERT INTO audit_head (singleton, seq, hash) VALUES (1, 0, '${"0".repeat(64)}');

      CREATE TABLE audit_checkpoints (
        seq BIGINT PRIMARY KEY,
        hash TEXT COLLATE "C" NOT NULL,
        at BIGINT NOT NULL,
        key_id TEXT COLLATE "C" NOT NULL,
        signature TEXT NOT NULL,
        kind TEXT COLLATE "C" NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: "key source networks",
    sql: `
      -- See the SQLite migration v7: the networks each key was used from, one row per (key, network).
      CREATE TABLE key_source_networks (
        key_id TEXT COLLATE "C" NOT NULL,
        network TEXT COLLATE "C" NOT NULL,
        first_seen_at BIGINT NOT NULL,
        PRIMARY KEY (key_id, network)
      );
    `,
  },
  {
    version: 8,
    name: "secrets vault and recoverable keys",
    sql: `
      -- See the SQLite migration v8: sealed upstream credentials, and sealed copies of the keys of projects that
      -- keep them.
      CREATE TABLE secrets (
        id TEXT COLLATE "C" PRIMARY KEY,
        project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
        name TEXT COLLATE "C" NOT NULL,
        sealed_value TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        created_by TEXT COLLATE "C",
        last_revealed_at BIGINT,
        UNIQUE (project_id, name)
      );

      ALTER TABLE projects ADD COLUMN recoverable_keys BOOLEAN NOT NULL DEFAULT FALSE;
      CREATE TABLE key_recoveries (
        key_id TEXT COLLATE "C" PRIMARY KEY REFERENCES keys(id),
        sealed_key TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_revealed_at BIGINT
      );
    `,
  },
  {
    version: 9,
    name: "pepper versions",
    sql: `
      -- See the SQLite migration v9: pepper versions, the first moved from instance_settings by name.
      CREATE TABLE peppers (
        name TEXT COLLATE "C" PRIMARY KEY,
        version INTEGER NOT NULL UNIQUE,
        sealed_pepper TEXT,
        created_at BIGINT NOT NULL,
        activates_at BIGINT NOT NULL,
        retired_at BIGINT
      );
      INSERT INTO peppers (name, version, sealed_pepper, created_at, activates_at)
        SELECT name, 1, value, created_at, created_at FROM instance_settings WHERE name = 'pepper';
      DELETE FROM instance_settings WHERE name = 'pepper';

      ALTER TABLE keys ADD COLUMN pepper_version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE tokens ADD COLUMN pepper_version INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 10,
    name: "admin users, roles, two-factor and sessions",
    sql: `
      -- See the SQLite migration v10.
      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        email TEXT COLLATE "C" NOT NULL UNIQUE,
        name TEXT NOT NULL,
        password_hash TEXT,
        password_changed_at BIGINT,
        totp_sealed_secret TEXT,
        totp_confirmed_at BIGINT,
        totp_last_step BIGINT,
        created_by TEXT COLLATE "C",
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE user_roles (
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scope TEXT COLLATE "C" NOT NULL,
        role TEXT NOT NULL,
        project_id TEXT COLLATE "C" REFERENCES projects(id),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, scope),
        CHECK (scope = COALESCE(project_id, ''))
      );

      CREATE TABLE user_recovery_codes (
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_digest BYTEA NOT NULL,
        used_at BIGINT,
        PRIMARY KEY (user_id, code_digest)
      );

      CREATE TABLE sessions (
        id TEXT COLLATE "C" PRIMARY KEY,
        secret_digest BYTEA NOT NULL UNIQUE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        second_factor_at BIGINT,
        revoked_at BIGINT,
        source_ip TEXT,
        user_agent TEXT
      );
      CREATE INDEX sessions_user_id ON sessions (user_id, id);

      CREATE TABLE invitations (
        id TEXT COLLATE "C" PRIMARY KEY,
        secret_digest BYTEA NOT NULL UNIQUE,
        email TEXT COLLATE "C" NOT NULL,
        role TEXT NOT NULL,
        project_id TEXT COLLATE "C" REFERENCES projects(id),
        created_by TEXT COLLATE "C",
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        accepted_at BIGINT
      );

      ALTER TABLE projects ADD COLUMN require_2fa BOOLEAN NOT NULL DEFAULT FALSE;
    `,
  },
  {
    version: 11,
    name: "deleted projects",
    sql: `
      -- See the SQLite migration: a deleted project keeps its row, marked.
      ALTER TABLE projects ADD COLUMN deleted_at BIGINT;
    `,
  },
  {
    version: 12,
    name: "imported keys",
    sql: `
      -- See the SQLite migration: keys imported by SHA-256 (pepper_version 0) until their first verification.
      CREATE TABLE key_migrations (
        migration_id TEXT COLLATE "C" NOT NULL,
        project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (migration_id, project_id)
      );
      CREATE INDEX keys_imported_pending ON keys (id) WHERE pepper_version = 0 AND revoked_at IS NULL;
    `,
  },
  {
    version: 13,
    name: "key roles and the permission catalogue",
    sql: `
      -- See the SQLite migration: the catalogue, and each key's role ids on its own row.
      CREATE TABLE rbac_permissions (
        id TEXT COLLATE "C" PRIMARY KEY,
        slug TEXT COLLATE "C" NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE rbac_roles (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL UNIQUE,
        description TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE rbac_role_permissions (
        role_id TEXT COLLATE "C" NOT NULL REFERENCES rbac_roles(id) ON DELETE CASCADE,
        permission_id TEXT COLLATE "C" NOT NULL REFERENCES rbac_permissions(id) ON DELETE CASCADE,
        PRIMARY KEY (role_id, permission_id)
      );
      CREATE INDEX rbac_role_permissions_permission ON rbac_role_permissions (permission_id);

      ALTER TABLE keys ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 14,
    name: "identities",
    sql: `
      -- See the SQLite migration. "C" collation: externalId order (the list's order) is byte order, as in SQLite.
      CREATE TABLE identities (
        id TEXT COLLATE "C" PRIMARY KEY,
        external_id TEXT COLLATE "C" NOT NULL UNIQUE,
        meta TEXT NOT NULL,
        rate_limits TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
];
