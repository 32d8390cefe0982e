import { SqliteAuditStore } from "./sqlite-audit-store.js";
import { SqliteDatabase, type SqliteDatabaseOptions } from "./sqlite-database.js";
import { SqliteIdentityStore } from "./sqlite-identity-store.js";
import { SqliteKeyLifecycleStore } from "./sqlite-key-lifecycle-store.js";
import { SqliteKeyRoleStore } from "./sqlite-key-role-store.js";
import { SqliteKeyStore } from "./sqlite-key-store.js";
import { SqlitePepperStore } from "./sqlite-pepper-store.js";
import { SqliteSealedValueStore } from "./sqlite-sealed-value-store.js";
import { SqliteSecretStore } from "./sqlite-secret-store.js";
import { SqliteSourceNetworkStore } from "./sqlite-source-network-store.js";
import { SqliteUserStore } from "./sqlite-user-store.js";
import { SqliteWebhookStore } from "./sqlite-webhook-store.js";
import type { Stores } from "./stores.js";

/** Opens one SQLite database and the stores that share it. */
export function openSqliteStores(options: SqliteDatabaseOptions): Stores {
  const database = new SqliteDatabase(options);
  return {
    keys: new SqliteKeyStore(database),
    lifecycle: new SqliteKeyLifecycleStore(database),
    audit: new SqliteAuditStore(database),
    sealed: new SqliteSealedValueStore(database),
    webhooks: new SqliteWebhookStore(database),
    sourceNetworks: new SqliteSourceNetworkStore(database),
    secrets: new SqliteSecretStore(database),
    peppers: new SqlitePepperStore(database),
    users: new SqliteUserStore(database),
    keyRoles: new SqliteKeyRoleStore(database),
    identities: new SqliteIdentityStore(database),
  };
}
