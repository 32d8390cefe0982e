import type { Key } from "@keyward/client/types.js";

/** A key's state for display, named as verification would: revoked, disabled, expired or active. */
export function keyStatus(key: Key, nowMs: number): "revoked" | "disabled" | "expired" | "active" {
  if (key.revokedAt !== null) return "revoked";
  if (!key.enabled) return "disabled";
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= nowMs) return "expired";
  return "active";
}
