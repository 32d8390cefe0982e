import type { Key, KeyQuota, KeyRateLimit } from "@keyward/client/types.js";
import { keyStatus } from "./key-status.js";
import type { Field } from "./output.js";
import { formatWindowMs } from "./rate-limit-window.js";
import { showIpAllowlist } from "./show-ip-allowlist.js";

/** The human listing of one key record. */
export function keyFields(key: Key, nowMs: number): Field[] {
  return [
    ["id", key.id],
    ["status", keyStatus(key, nowMs)],
    ["project", key.projectId],
    ["name", key.name],
    ["owner", key.ownerId],
    ["start", key.start],
    ["scopes", key.scopes],
    ...(key.roles === undefined || key.roles.length === 0 ? [] : ([["roles", key.roles]] as const)),
    ["meta", Object.keys(key.meta).length === 0 ? null : key.meta],
    ["expires", key.expiresAt],
    ["created", key.createdAt],
    ["updated", key.updatedAt],
    ["last used", key.lastUsedAt],
    ["rate limits", key.rateLimits.map(showRateLimit)],
    ["quota", showQuota(key.quota)],
    ...(key.quota?.refilledAt == null ? [] : ([["quota refilled", key.quota.refilledAt]] as const)),
    ["ip allowlist", showIpAllowlist(key.ipAllowlist, "(the project's)")],
    ...(key.canary ? ([["canary", "yes (never valid; any use raises an alert)"]] as const) : []),
    ...(key.rotationDue ? ([["rotation due", "yes"]] as const) : []),
    ...(key.replaces === null ? [] : ([["replaces", key.replaces]] as const)),
    ...(key.replacedBy === null ? [] : ([["replaced by", key.replacedBy]] as const)),
    ...(key.revokedAt === null
      ? []
      : ([
          ["revoked", key.revokedAt],
          ["reason", key.revokedReason],
        ] as const)),
  ];
}

/** `burst 100/1s`: a limit the way `--rate-limit burst=100/1s` sets it. */
export function showRateLimit(rule: KeyRateLimit): string {
  return `${rule.name} ${rule.limit}/${formatWindowMs(rule.windowMs)}`;
}

function showQuota(quota: KeyQuota | null): string | null {
  if (quota === null) return null;
  const refill =
    quota.refill === null ? "" : `, refilled to ${quota.refill.amount} every ${quota.refill.interval}`;
  return `${quota.remaining} left${refill}`;
}
