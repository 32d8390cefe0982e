import type { AuditStore } from "./audit-store.js";
import type { IdentityStore } from "./identity-store.js";
import type { KeyLifecycleStore } from "./key-lifecycle-store.js";
import type { KeyRoleStore } from "./key-role-store.js";
import type { KeyStore } from "./key-store.js";
import type { PepperStore } from "./pepper-store.js";
import type { SealedValueStore } from "./sealed-value-store.js";
import type { SecretStore } from "./secret-store.js";
import type { SourceNetworkStore } from "./source-network-store.js";
import type { UserStore } from "./user-store.js";
import type { WebhookStore } from "./webhook-store.js";

/**
 * The stores of one backend, sharing one connection so that a change, its events and its audit entries commit
 * together. The key
 * store owns the connection: its `migrate`, `ping` and `close` serve all three.
 */
export interface Stores {
  keys: KeyStore;
  lifecycle: KeyLifecycleStore;
  audit: AuditStore;
  /** Every envelope-sealed value, for master key rotation. */
  sealed: SealedValueStore;
  webhooks: WebhookStore;
  /** The networks each key was used from (the new-source detector). */
  sourceNetworks: SourceNetworkStore;
  /** Vault secrets and the sealed copies of recoverable keys. */
  secrets: SecretStore;
  /** The versions of the digest pepper, and re-digesting for pepper rotation. */
  peppers: PepperStore;
  /** Admin users, their roles, second factors, sessions and invitations. */
  users: UserStore;
  /** The permissions and roles keys can hold. */
  keyRoles: KeyRoleStore;
  /** Identities: shared meta and rate limits of the keys of one owner. */
  identities: IdentityStore;
}
