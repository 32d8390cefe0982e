/** A named rate limit of a key: at most `limit` units per sliding window of `windowMs`. */
export interface RateLimitRule {
  name: string;
  limit: number;
  windowMs: number;
}

/** When a quota's balance is reset, in the project's time zone. */
export interface QuotaRefill {
  amount: number;
  interval: "day" | "month";
}

/** A key's usage quota: the balance left, and how it refills. */
export interface KeyQuota {
  /**
   * The balance's id: the key's own id, shared with its replacements by rotation, so a rotated key and its
   * replacement spend one balance during the grace window instead of two.
   */
  poolId: string;
  remaining: number;
  refill: QuotaRefill | null;
  /** The refill boundary the balance belongs to (epoch ms), or 0 before the first refill. */
  refilledAt: number;
}

/** A stored API key as the API shows it: never the digest, never the key. Times are epoch milliseconds. */
export interface KeyRecord {
  id: string;
  projectId: string;
  name: string | null;
  ownerId: string | null;
  /** The prefix and first characters of the key, for display. */
  start: string;
  scopes: string[];
  /** Ids of the key's roles (see key-roles.ts): their permissions count as scopes in verification. */
  roles: string[];
  meta: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  enabled: boolean;
  revokedAt: number | null;
  revokedReason: string | null;
  lastUsedAt: number | null;
  /** The key that replaced this one in a rotation, or null. */
  replacedBy: string | null;
  /** The key this one replaced in a rotation, or null. */
  replaces: string | null;
  /** Rate limits verification enforces, at most 10. */
  rateLimits: RateLimitRule[];
  /** The usage quota, or null for unlimited use. */
  quota: KeyQuota | null;
  /** Addresses and CIDR ranges allowed to use the key, or null to use the project's list (if any). */
  ipAllowlist: string[] | null;
  /** A honeytoken: never valid, and any use of it raises a `canary` alert. */
  canary: boolean;
}
