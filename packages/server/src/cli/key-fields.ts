import type { Key } from "@keyward/client/types.js";
import { keyStatus } from "./key-status.js";
import type { Field } from "./output.js";

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
    ["meta", Object.keys(key.meta).length === 0 ? null : key.meta],
    ["expires", key.expiresAt],
    ["created", key.createdAt],
    ["updated", key.updatedAt],
    ["last used", key.lastUsedAt],
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
