import type { KeyRecord } from "@keyward/core/key-record.js";
import type { ProjectRecord, RateLimitOverride, TokenRecord } from "../store/records.js";
import type { WebhookRecord } from "../store/webhook-store.js";

/**
 * The fields of each record the audit log may show, and nothing else: a key's `start`, digests, token plaintexts
 * and sealed secrets are absent by construction, so no diff can carry them.
 */
export const KEY_AUDIT_FIELDS = [
  "projectId",
  "name",
  "ownerId",
  "scopes",
  "roles",
  "meta",
  "expiresAt",
  "enabled",
  "revokedAt",
  "revokedReason",
  "replaces",
  "replacedBy",
  "rateLimits",
  "quota",
  "ipAllowlist",
  "canary",
] as const satisfies readonly (keyof KeyRecord)[];

export const TOKEN_AUDIT_FIELDS = [
  "name",
  "permissions",
  "projectIds",
  "createdBy",
  "revokedAt",
] as const satisfies readonly (keyof TokenRecord)[];

export const PROJECT_AUDIT_FIELDS = [
  "name",
  "keyPrefix",
  "policies",
  "ipAllowlist",
  "timezone",
  "recoverableKeys",
  "require2fa",
] as const satisfies readonly (keyof ProjectRecord)[];

export const WEBHOOK_AUDIT_FIELDS = [
  "projectId",
  "url",
  "description",
  "events",
  "enabled",
] as const satisfies readonly (keyof WebhookRecord)[];

export const OVERRIDE_AUDIT_FIELDS = [
  "namespace",
  "identifier",
  "limit",
  "windowMs",
] as const satisfies readonly (keyof RateLimitOverride)[];
