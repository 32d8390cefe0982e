import { createHash } from "node:crypto";
import type { KeyRecord, QuotaRefill } from "@keyward/core/key-record.js";
import { type Static, Type } from "typebox";
import { identityIdOf } from "../../services/identity-service.js";
import type { IdentityRecord } from "../../store/identity-store.js";
import { compact } from "./envelope.js";

/** A stable made-up id (Keyward has no record for it): `<prefix>_` + 16 base64url characters of a SHA-256. */
export function derivedId(prefix: string, ...parts: string[]): string {
  const hash = createHash("sha256").update(parts.join("\u0000")).digest("base64url").slice(0, 16);
  return `${prefix}_${hash}`;
}

/** The id Unkey's `RatelimitResponse` needs for a key's named rate limit: stable per key and name. */
export function unkeyRatelimitId(keyId: string, name: string): string {
  return derivedId("rl", keyId, name);
}

/**
 * The id of an owner's (`externalId`'s) identity, instance-wide: the id identities.getIdentity answers with,
 * also shown for an owner without an identity record.
 */
export function unkeyIdentityId(ownerId: string): string {
  return identityIdOf(ownerId);
}

/** Keyward's refill interval as Unkey names it. */
export function unkeyRefillInterval(interval: QuotaRefill["interval"]): "daily" | "monthly" {
  return interval === "day" ? "daily" : "monthly";
}

/** Unkey's `KeyCreditsData` (`remaining` null means unlimited). */
export const UnkeyCredits = Type.Object({
  remaining: Type.Union([Type.Integer(), Type.Null()]),
  refill: Type.Optional(
    Type.Object({
      interval: Type.Union([Type.Literal("daily"), Type.Literal("monthly")]),
      amount: Type.Integer(),
    }),
  ),
});

/** Unkey's `RatelimitResponse`: a key's named rate limit, `duration` in ms. */
export const UnkeyRatelimit = Type.Object({
  id: Type.String(),
  name: Type.String(),
  limit: Type.Integer(),
  duration: Type.Integer({ description: "The window in milliseconds." }),
  autoApply: Type.Boolean(),
});

/** Unkey's `Identity`: the key owner's identity, with its meta and shared rate limits when it has a record. */
export const UnkeyIdentity = Type.Object({
  id: Type.String(),
  externalId: Type.String(),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  ratelimits: Type.Optional(Type.Array(UnkeyRatelimit)),
});

/** An owner's identity as Unkey's `Identity`: meta and ratelimits left out when empty (or without a record). */
export function presentUnkeyIdentity(
  ownerId: string,
  identity: IdentityRecord | null | undefined,
): Static<typeof UnkeyIdentity> {
  return compact({
    id: identity?.id ?? unkeyIdentityId(ownerId),
    externalId: ownerId,
    meta: identity == null || Object.keys(identity.meta).length === 0 ? undefined : identity.meta,
    ratelimits:
      identity == null || identity.rateLimits.length === 0 ? undefined : presentUnkeyRatelimits(identity),
  }) as Static<typeof UnkeyIdentity>;
}

/** Unkey's `KeyResponseData` (getKey, whoami, listKeys items). Optional fields are left out, never null. */
export const UnkeyKeyData = Type.Object({
  keyId: Type.String(),
  start: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Type.Integer({ description: "Unix milliseconds." }),
  name: Type.Optional(Type.String()),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  updatedAt: Type.Optional(Type.Integer()),
  lastUsedAt: Type.Optional(Type.Integer()),
  expires: Type.Optional(Type.Integer({ description: "Unix milliseconds." })),
  permissions: Type.Optional(Type.Array(Type.String(), { description: "The key's scopes." })),
  roles: Type.Optional(Type.Array(Type.String(), { description: "The names of the key's roles." })),
  credits: Type.Optional(UnkeyCredits),
  identity: Type.Optional(UnkeyIdentity),
  ratelimits: Type.Optional(Type.Array(UnkeyRatelimit)),
  plaintext: Type.Optional(
    Type.String({ description: "With `decrypt: true`: the key, when Keyward kept a copy of it." }),
  ),
});

/** A key as Unkey's clients read it. */
export type UnkeyKeyDataBody = Static<typeof UnkeyKeyData>;

/** An example of {@link UnkeyKeyData} for OpenAPI. */
export const UNKEY_KEY_EXAMPLE: UnkeyKeyDataBody = {
  keyId: "key_0Vg3bQn7QJ8YHh2xkLmN0a",
  start: "kw_3Fh9",
  enabled: true,
  createdAt: 1_795_856_400_000,
  name: "billing service",
  meta: { plan: "pro" },
  updatedAt: 1_795_856_400_000,
  expires: 1_827_392_400_000,
  permissions: ["documents.read", "documents.write"],
  roles: ["editor"],
  credits: { remaining: 9_500, refill: { interval: "monthly", amount: 10_000 } },
  identity: { id: "id_Xq0T8cVb2LmN7pQr", externalId: "user_123", meta: { plan: "enterprise" } },
  ratelimits: [
    { id: "rl_3Fh9xq0T8cVb2LmN", name: "requests", limit: 100, duration: 60_000, autoApply: true },
  ],
};

/** The key's quota as Unkey's credits, or undefined for a key without one (unlimited: no credits shown). */
export function presentUnkeyCredits(quota: KeyRecord["quota"]): Static<typeof UnkeyCredits> | undefined {
  if (quota === null) return undefined;
  return compact({
    remaining: quota.remaining,
    refill:
      quota.refill === null
        ? undefined
        : { interval: unkeyRefillInterval(quota.refill.interval), amount: quota.refill.amount },
  }) as Static<typeof UnkeyCredits>;
}

/** The key's rate limits as Unkey's: every one applies to every verification, so `autoApply` is true. */
export function presentUnkeyRatelimits(
  key: Pick<KeyRecord, "id" | "rateLimits">,
): Static<typeof UnkeyRatelimit>[] {
  return key.rateLimits.map((rule) => ({
    id: unkeyRatelimitId(key.id, rule.name),
    name: rule.name,
    limit: rule.limit,
    duration: rule.windowMs,
    autoApply: true,
  }));
}

/**
 * A key (record or view; a view's `quota` should carry the live balance) as Unkey's `KeyResponseData`, with its
 * owner's identity record when it has one.
 */
export function presentUnkeyKey(
  key: KeyRecord,
  identity?: IdentityRecord | null,
  roleNames: readonly string[] = [],
  plaintext?: string,
): UnkeyKeyDataBody {
  return compact({
    keyId: key.id,
    start: key.start,
    enabled: key.enabled,
    createdAt: key.createdAt,
    name: key.name,
    meta: Object.keys(key.meta).length === 0 ? undefined : key.meta,
    updatedAt: key.updatedAt,
    lastUsedAt: key.lastUsedAt,
    expires: key.expiresAt,
    permissions: key.scopes,
    roles: roleNames.length === 0 ? undefined : roleNames,
    credits: presentUnkeyCredits(key.quota),
    identity: key.ownerId === null ? undefined : presentUnkeyIdentity(key.ownerId, identity),
    ratelimits: key.rateLimits.length === 0 ? undefined : presentUnkeyRatelimits(key),
    plaintext,
  }) as UnkeyKeyDataBody;
}
