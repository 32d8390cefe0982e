import { PostgresAuditStore } from "./postgres-audit-store.js";
import { PostgresDatabase, type PostgresDatabaseOptions } from "./postgres-database.js";
import { PostgresIdentityStore } from "./postgres-identity-store.js";
import { PostgresKeyLifecycleStore } from "./postgres-key-lifecycle-store.js";
import { PostgresKeyRoleStore } from "./postgres-key-role-store.js";
import { PostgresKeyStore } from "./postgres-key-store.js";
import { PostgresPepperStore } from "./postgres-pepper-store.js";
import { PostgresSealedValueStore } from "./postgres-sealed-value-store.js";
import { PostgresSecretStore } from "./postgres-secret-store.js";
import { PostgresSourceNetworkStore } from "./postgres-source-network-store.js";
import { PostgresUserStore } from "./postgres-user-store.js";
import { PostgresWebhookStore } from "./postgres-webhook-store.js";
import type { Stores } from "./stores.js";

/** Opens one PostgreSQL pool and the stores that share it. */
export function openPostgresStores(options: PostgresDatabaseOptions): Stores {
  const database = new PostgresDatabase(options);
  return {
    keys: new PostgresKeyStore(database),
    lifecycle: new PostgresKeyLifecycleStore(database),
    audit: new PostgresAuditStore(database),
    sealed: new PostgresSealedValueStore(database),
    webhooks: new PostgresWebhookStore(database),
    sourceNetworks: new PostgresSourceNetworkStore(database),
    secrets: new PostgresSecretStore(database),
    peppers: new PostgresPepperStore(database),
    users: new PostgresUserStore(database),
    keyRoles: new PostgresKeyRoleStore(database),
    identities: new PostgresIdentityStore(database),
  };
}
