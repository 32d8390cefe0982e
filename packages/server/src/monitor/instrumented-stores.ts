import type { Stores } from "../store/stores.js";
import type { DeliveryResult } from "../store/webhook-store.js";
import { instrumentCalls } from "./instrument-calls.js";
import type { OperationMetrics, WebhookDeliveryOutcome, WebhookMetrics } from "./metrics.js";

const DELIVERY_OUTCOMES: Record<DeliveryResult["outcome"]["status"], WebhookDeliveryOutcome> = {
  delivered: "delivered",
  pending: "retry",
  failed: "failed",
};

/**
 * The same stores, each call timed into `keyward_store_operation_duration_seconds{operation}` and each failure
 * counted in `keyward_store_errors_total{operation}` (operation = method name). Every finished webhook attempt
 * is counted by outcome once the store has recorded it, whichever worker sent it.
 */
export function instrumentStores(stores: Stores, metrics: OperationMetrics & WebhookMetrics): Stores {
  const report = {
    observe: (operation: string, seconds: number) => metrics.storeOperation(operation, seconds),
    fail: (operation: string) => metrics.storeError(operation),
  };
  return {
    keys: instrumentCalls(stores.keys, report),
    lifecycle: instrumentCalls(stores.lifecycle, report),
    audit: instrumentCalls(stores.audit, report),
    sealed: instrumentCalls(stores.sealed, report),
    sourceNetworks: instrumentCalls(stores.sourceNetworks, report),
    secrets: instrumentCalls(stores.secrets, report),
    peppers: instrumentCalls(stores.peppers, report),
    users: instrumentCalls(stores.users, report),
    identities: instrumentCalls(stores.identities, report),
    keyRoles: instrumentCalls(stores.keyRoles, report),
    webhooks: instrumentCalls(stores.webhooks, {
      ...report,
      succeeded(operation, args) {
        if (operation !== "finishDelivery") return;
        const result = args[0] as DeliveryResult;
        metrics.webhookDelivery(DELIVERY_OUTCOMES[result.outcome.status]);
      },
    }),
  };
}
