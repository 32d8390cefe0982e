/** One schema change; applied in order, each in its own transaction, recorded in `schema_migrations`. */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/** The SQLite schema, as an append-only list: never edit a released migration, add a new one. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: "foundation",
    sql: `
      CREATE TABLE instance_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE keys (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        digest BLOB NOT NULL UNIQUE,
        start TEXT NOT NULL,
        name TEXT,
        owner_id TEXT,
        scopes TEXT NOT NULL,
        meta TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER,
        enabled INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
      ) STRICT;
      CREATE INDEX keys_project_id ON keys (project_id, id);
      CREATE INDEX keys_owner_id ON keys (owner_id, id);

      -- Usage lives apart from the key record: batched usage writes then dirty a few pages of this narrow
      -- table instead of one page of the wide keys table per key, and the record's pages stay read-mostly.
      CREATE TABLE key_usage (
        key_id TEXT PRIMARY KEY,
        last_used_at INTEGER NOT NULL,
        verification_count INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        digest BLOB NOT NULL UNIQUE,
        start TEXT NOT NULL,
        name TEXT NOT NULL,
        permissions TEXT NOT NULL,
        project_ids TEXT,
        created_by TEXT,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        last_used_at INTEGER,
        use_count INTEGER NOT NULL DEFAULT 0
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "lifecycle and webhooks",
    sql: `
      ALTER TABLE projects ADD COLUMN policies TEXT NOT NULL DEFAULT '{}';

      ALTER TABLE keys ADD COLUMN replaced_by TEXT;
      ALTER TABLE keys ADD COLUMN replaces TEXT;
      -- The scheduler's scans: expiries in a time range, and keys of a project by age.
      CREATE INDEX keys_expires_at ON keys (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;
      CREATE INDEX keys_project_created_at ON keys (project_id, created_at);

      -- One row per notice sent: the primary key is what makes a notice fire once across processes.
      CREATE TABLE key_notices (
        key_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject_at INTEGER NOT NULL,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (key_id, kind, subject_at)
      ) STRICT, WITHOUT ROWID;

      -- The outbox: written in the transaction of the change that caused the event.
      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        type TEXT NOT NULL,
        key_id TEXT,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX events_created_at ON events (created_at);

      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        url TEXT NOT NULL,
        description TEXT,
        events TEXT NOT NULL,
        sealed_secret TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX webhooks_project_id ON webhooks (project_id, id);

      CREATE TABLE webhook_deliveries (
        webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        window_start INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        delivered_at INTEGER,
        PRIMARY KEY (webhook_id, event_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at)
        WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_event_id ON webhook_deliveries (event_id);

      CREATE TABLE webhook_attempts (
        webhook_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        attempted_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        response_body TEXT,
        PRIMARY KEY (webhook_id, event_id, attempt),
        FOREIGN KEY (webhook_id, event_id) REFERENCES webhook_deliveries (webhook_id, event_id) ON DELETE CASCADE
      ) STRICT, WITHOUT ROWID;
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

      -- Quota balances change on every verification (written back in batches): a narrow table of their own, like
      -- key_usage, keeps those writes off the wide keys rows.
      CREATE TABLE key_quotas (
        key_id TEXT PRIMARY KEY REFERENCES keys(id),
        pool_id TEXT NOT NULL,
        remaining INTEGER NOT NULL,
        refill_amount INTEGER,
        refill_interval TEXT,
        refilled_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX key_quotas_pool_id ON key_quotas (pool_id);

      CREATE TABLE ratelimit_overrides (
        namespace TEXT NOT NULL,
        identifier TEXT NOT NULL,
        "limit" INTEGER NOT NULL,
        window_ms INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (namespace, identifier)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "usage buckets",
    sql: `
      -- Verification outcomes counted per key and code, in minute buckets rolled up to hours and days (UTC) at
      -- write time. Every write adds (count = count + excluded.count), so several nodes' batches add up exactly.
      -- key_id is '' for outcomes without a key (NOT_FOUND), counted per project only; project_id is in the
      -- primary key for them. No foreign keys: a row per verification batch must not pay for two lookups.
      CREATE TABLE usage_buckets (
        granularity TEXT NOT NULL,
        key_id TEXT NOT NULL,
        bucket_start INTEGER NOT NULL,
        code TEXT NOT NULL,
        project_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (granularity, key_id, bucket_start, code, project_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX usage_buckets_project ON usage_buckets (project_id, granularity, bucket_start);
      -- Retention deletes old minute and hour rows by time across every key.
      CREATE INDEX usage_buckets_age ON usage_buckets (granularity, bucket_start);
    `,
  },
  {
    version: 5,
    name: "alerts",
    sql: `
      -- A canary key (honeytoken) is never valid; any use of it raises an alert.
      ALTER TABLE keys ADD COLUMN canary INTEGER NOT NULL DEFAULT 0;

      -- One row per storm: a repeat with the same dedup_key inside the quiet window, while unacknowledged, adds to
      -- occurrences and moves last_seen_at instead of inserting. key_id has no foreign key: an alert outlives
      -- nothing it points at, and raising one must not fail on a lookup.
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        key_id TEXT,
        type TEXT NOT NULL,
        dedup_key TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        occurrences INTEGER NOT NULL,
        details TEXT NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by TEXT
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX alerts_project ON alerts (project_id, id);
      CREATE INDEX alerts_open_dedup ON alerts (dedup_key, last_seen_at) WHERE acknowledged_at IS NULL;
    `,
  },
  {
    version: 6,
    name: "audit log",
    sql: `
      -- The tamper-evident audit log: each entry carries the SHA-256 of its canonical form, which covers the hash of
      -- the entry before it (core/audit-chain.ts). seq is the storage order only; pruning never renumbers.
      CREATE TABLE audit_entries (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at INTEGER NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT,
        action TEXT NOT NULL,
        target_type TEXT,
        target_id TEXT,
        project_id TEXT,
        source_ip TEXT,
        user_agent TEXT,
        request_id TEXT,
        outcome TEXT NOT NULL,
        diff TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        -- HMAC of hash under a key only Keyward holds (sealed by the KMS): an entry forged by someone who can
        -- write to the database, with a correctly computed hash, still fails verification.
        mac TEXT
      ) STRICT;
      -- The verifier asks whether a hash exists anywhere, to tell a moved entry from a forged one.
      CREATE INDEX audit_entries_hash ON audit_entries (hash);
      CREATE INDEX audit_entries_at ON audit_entries (at);
      CREATE INDEX audit_entries_actor ON audit_entries (actor_id, seq);
      CREATE INDEX audit_entries_target ON audit_entries (target_id, seq);
      CREATE INDEX audit_entries_action ON audit_entries (action, seq);
      CREATE INDEX audit_entries_project ON audit_entries (project_id, seq);

      -- The end of the chain, one row: appends read and move it in the transaction of their change (on PostgreSQL
      -- under a row lock, so appends from every node form one chain). It survives pruning every entry.
      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
      INSERT INTO audit_head (singleton, seq, hash) VALUES (1, 0, '${"0".repeat(64)}');

      -- Signed checkpoints: "the chain up to seq ends in hash". kind 'pruning' marks where the stored chain starts
      -- after older entries were deleted.
      CREATE TABLE audit_checkpoints (
        seq INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        at INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL,
        kind TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: "key source networks",
    sql: `
      -- The networks (/24 IPv4, /48 IPv6) each key was used from, for the new-source detector: one row per
      -- (key, network), inserted once when first seen and never updated, so a known pair costs no write. No
      -- foreign key: a batch of sightings must not pay a lookup per row.
      CREATE TABLE key_source_networks (
        key_id TEXT NOT NULL,
        network TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        PRIMARY KEY (key_id, network)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: "secrets vault and recoverable keys",
    sql: `
      -- Upstream credentials Keyward must read back: only ever stored sealed (envelope encryption, the AES-GCM
      -- additional data naming the secret's id, so a value copied onto another row fails to decrypt).
      CREATE TABLE secrets (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL,
        sealed_value TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        created_by TEXT,
        last_revealed_at INTEGER,
        UNIQUE (project_id, name)
      ) STRICT;

      -- Off by default: a project that turns it on keeps a sealed copy of each key it issues from then on.
      ALTER TABLE projects ADD COLUMN recoverable_keys INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE key_recoveries (
        key_id TEXT PRIMARY KEY REFERENCES keys(id),
        sealed_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_revealed_at INTEGER
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 9,
    name: "pepper versions",
    sql: `
      -- The digest pepper has versions, so it can be rotated: keys verified after a rotation are re-digested
      -- under the new one. The first version moves here from instance_settings under the same name (its sealed
      -- value's additional data is that name). A retired version keeps its row, without the pepper.
      CREATE TABLE peppers (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL UNIQUE,
        sealed_pepper TEXT,
        created_at INTEGER NOT NULL,
        activates_at INTEGER NOT NULL,
        retired_at INTEGER
      ) STRICT;
      INSERT INTO peppers (name, version, sealed_pepper, created_at, activates_at)
        SELECT name, 1, value, created_at, created_at FROM instance_settings WHERE name = 'pepper';
      DELETE FROM instance_settings WHERE name = 'pepper';

      -- Which pepper each digest was made with, for pepper-status and retiring a version.
      ALTER TABLE keys ADD COLUMN pepper_version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE tokens ADD COLUMN pepper_version INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 10,
    name: "admin users, roles, two-factor and sessions",
    sql: `
      -- People who manage keys. The email is kept lowercased (unique); the password only as an argon2id hash (null
      -- until an invitation is accepted); the TOTP secret sealed like every recoverable secret, with the last step
      -- accepted so a code is never accepted twice.
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        password_hash TEXT,
        password_changed_at INTEGER,
        totp_sealed_secret TEXT,
        totp_confirmed_at INTEGER,
        totp_last_step INTEGER,
        created_by TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- One role per user and scope: instance-wide (project_id NULL) or one project. \`scope\` is the project id, or ''
      -- instance-wide: a primary key column that is never NULL, so \`keyward store copy\` can page by it (a row value
      -- holding NULL compares as unknown), while project_id keeps its foreign key.
      CREATE TABLE user_roles (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        role TEXT NOT NULL,
        project_id TEXT REFERENCES projects(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, scope),
        CHECK (scope = COALESCE(project_id, ''))
      ) STRICT, WITHOUT ROWID;

      -- Single-use recovery codes, stored only as digests.
      CREATE TABLE user_recovery_codes (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_digest BLOB NOT NULL,
        used_at INTEGER,
        PRIMARY KEY (user_id, code_digest)
      ) STRICT, WITHOUT ROWID;

      -- Sessions: the cookie holds a random secret, the store its digest; the public id names it in lists.
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        secret_digest BLOB NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        second_factor_at INTEGER,
        revoked_at INTEGER,
        source_ip TEXT,
        user_agent TEXT
      ) STRICT;
      CREATE INDEX sessions_user_id ON sessions (user_id, id);

      -- Invitations: a link with a random secret, kept as a digest, accepted once before it expires.
      CREATE TABLE invitations (
        id TEXT PRIMARY KEY,
        secret_digest BLOB NOT NULL UNIQUE,
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        project_id TEXT REFERENCES projects(id),
        created_by TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        accepted_at INTEGER
      ) STRICT;

      -- A project whose members must have two-factor authentication to do anything but enrol.
      ALTER TABLE projects ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 11,
    name: "deleted projects",
    sql: `
      -- A deleted project keeps its row (audit entries, usage history and its revoked keys point at it), marked
      -- with when it was deleted; reads treat it as absent.
      ALTER TABLE projects ADD COLUMN deleted_at INTEGER;
    `,
  },
  {
    version: 12,
    name: "imported keys",
    sql: `
      -- Keys imported from another system by the SHA-256 of their plaintext (keys.migrateKeys) have
      -- pepper_version 0 and that SHA-256 as their digest until their first verification re-digests them under
      -- the current pepper. Each import names a migration; verifyKey's migrationId must be one of them.
      CREATE TABLE key_migrations (
        migration_id TEXT NOT NULL,
        project_id TEXT NOT NULL REFERENCES projects(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (migration_id, project_id)
      ) STRICT, WITHOUT ROWID;
      -- Whether imported keys still wait for their first verification: nodes look them up by SHA-256 until none do.
      CREATE INDEX keys_imported_pending ON keys (id) WHERE pepper_version = 0 AND revoked_at IS NULL;
    `,
  },
  {
    version: 13,
    name: "key roles and the permission catalogue",
    sql: `
      -- The instance's permission catalogue: a permission's id is derived from its slug (perm_ + SHA-256), so a
      -- slug granted to a key as a scope has the same id as its catalogue entry.
      CREATE TABLE rbac_permissions (
        id TEXT PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE rbac_roles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE rbac_role_permissions (
        role_id TEXT NOT NULL REFERENCES rbac_roles(id) ON DELETE CASCADE,
        permission_id TEXT NOT NULL REFERENCES rbac_permissions(id) ON DELETE CASCADE,
        PRIMARY KEY (role_id, permission_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX rbac_role_permissions_permission ON rbac_role_permissions (permission_id);

      -- A key's role ids (JSON array) on its own row, so a verification that misses the cache still reads one row.
      ALTER TABLE keys ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 14,
    name: "identities",
    sql: `
      -- Identities: shared meta and rate limits for the keys whose owner_id is the external_id (any project).
      -- The id is derived from the external_id, so keys name it whether or not the row exists.
      CREATE TABLE identities (
        id TEXT PRIMARY KEY,
        external_id TEXT NOT NULL UNIQUE,
        meta TEXT NOT NULL,
        rate_limits TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
