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
];
