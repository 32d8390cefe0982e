import type { KeyLifecycleStore } from "./key-lifecycle-store.js";
import type { KeyStore } from "./key-store.js";
import type { WebhookStore } from "./webhook-store.js";

/**
 * The stores of one backend, sharing one connection so that a change and its events commit together. The key
 * store owns the connection: its `migrate`, `ping` and `close` serve all three.
 */
export interface Stores {
  keys: KeyStore;
  lifecycle: KeyLifecycleStore;
  webhooks: WebhookStore;
}
