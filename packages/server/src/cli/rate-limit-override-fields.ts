import type { RateLimitOverride } from "@keyward/client/types.js";
import type { Field } from "./output.js";
import { formatWindowMs } from "./rate-limit-window.js";

/** The human listing of one rate limit override. */
export function rateLimitOverrideFields(override: RateLimitOverride): Field[] {
  return [
    ["namespace", override.namespace],
    ["identifier", override.identifier],
    ["limit", `${override.limit}/${formatWindowMs(override.windowMs)}`],
    ["created", override.createdAt],
  ];
}
