import type { Identity } from "@keyward/client/types.js";
import { showRateLimit } from "./key-fields.js";
import type { Field } from "./output.js";

/** The human listing of one identity. */
export function identityFields(identity: Identity): Field[] {
  return [
    ["id", identity.id],
    ["external id", identity.externalId],
    ["meta", Object.keys(identity.meta).length === 0 ? null : identity.meta],
    ["rate limits", identity.rateLimits.map(showRateLimit)],
    ["created", identity.createdAt],
    ["updated", identity.updatedAt],
  ];
}
