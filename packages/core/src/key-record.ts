/** A stored API key as the API shows it: never the digest, never the key. Times are epoch milliseconds. */
export interface KeyRecord {
  id: string;
  projectId: string;
  name: string | null;
  ownerId: string | null;
  /** The prefix and first characters of the key, for display. */
  start: string;
  scopes: string[];
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
}
