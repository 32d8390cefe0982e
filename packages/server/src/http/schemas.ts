import { MAX_IP_ALLOWLIST_ENTRIES, MAX_IP_RANGE_LENGTH } from "@keyward/core/ip-allowlist.js";
import { MAX_ROLES_PER_KEY } from "@keyward/core/key-roles.js";
import { PERMISSIONS } from "@keyward/core/permissions.js";
import { type Static, type TSchema, Type } from "typebox";
import {
  MAX_LIMIT_AMOUNT,
  MAX_RATE_LIMITS,
  MAX_WINDOW_MS,
  MIN_WINDOW_MS,
} from "../services/key-input-rules.js";

/** Shared limits on untrusted input. */
export const LIMITS = {
  nameLength: 255,
  ownerIdLength: 255,
  idLength: 64,
  scopes: 100,
  scopeLength: 128,
  keyLength: 256,
  reasonLength: 500,
  permissions: 50,
  projectIds: 100,
  cursorLength: 100,
  /** A verification's cost, and a standalone limit's. */
  maxCost: 1_000_000,
  timezoneLength: 64,
} as const;

const timestamp = (description: string) => Type.String({ format: "date-time", description });
const nullableTimestamp = (description: string) =>
  Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description });

/**
 * A string or null as one JSON Schema `type: ["string", "null"]`, so a wrong value yields one clear error
 * instead of the three an `anyOf` produces. String keywords (maxLength, format) apply only to strings.
 */
export function nullableString(options: { maxLength: number; format?: "date-time"; description?: string }) {
  return Type.Unsafe<string | null>({ type: ["string", "null"], ...options });
}

/**
 * A schema that also accepts null, as one JSON Schema `type: [<type>, "null"]` (see {@link nullableString}): the
 * schema's other keywords (properties, items, bounds) apply only to values of its type.
 */
export function nullable<T extends TSchema>(schema: T, options: { description?: string } = {}) {
  const { type } = schema as { type?: unknown };
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, "null"], ...options });
}

/** A name of a rate limit or a namespace: 1-64 characters of A-Z a-z 0-9 _ . - :. */
export const LIMIT_NAME_PATTERN = "^[A-Za-z0-9_.:-]{1,64}$";

/** How many units a limit admits per window. */
export const LimitAmount = Type.Integer({
  minimum: 1,
  maximum: MAX_LIMIT_AMOUNT,
  description: `Units admitted per window (1-${MAX_LIMIT_AMOUNT}).`,
});

/** The length of a sliding window. */
export const WindowMs = Type.Integer({
  minimum: MIN_WINDOW_MS,
  maximum: MAX_WINDOW_MS,
  description: `The sliding window in milliseconds (${MIN_WINDOW_MS} to ${MAX_WINDOW_MS}, 30 days).`,
});

/** The units one request spends. */
export const Cost = Type.Integer({
  minimum: 0,
  maximum: LIMITS.maxCost,
  description: `Units this request spends (0-${LIMITS.maxCost}); default 1.`,
});

/** A key's rate limits as a request sets them (replaced whole). */
export const RateLimitRules = Type.Array(
  Type.Object(
    {
      name: Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: LIMIT_NAME_PATTERN,
        description: "Unique on the key; 1-64 characters of A-Z a-z 0-9 _ . - :.",
      }),
      limit: LimitAmount,
      windowMs: WindowMs,
    },
    { additionalProperties: false },
  ),
  {
    maxItems: MAX_RATE_LIMITS,
    description:
      `Up to ${MAX_RATE_LIMITS} named sliding-window limits, each checked on every verification (or only those ` +
      "a verification names). Replaced whole; [] removes them.",
  },
);

/** A key's quota as a request sets it; null removes it. */
export const QuotaInput = nullable(
  Type.Object(
    {
      remaining: Type.Integer({
        minimum: 0,
        maximum: MAX_LIMIT_AMOUNT,
        description: "The balance: units verifications may still spend.",
      }),
      refill: Type.Optional(
        nullable(
          Type.Object(
            {
              amount: Type.Integer({
                minimum: 1,
                maximum: MAX_LIMIT_AMOUNT,
                description: "The balance after a refill.",
              }),
              interval: Type.Union([Type.Literal("day"), Type.Literal("month")], {
                description:
                  "Refill at midnight (day) or at midnight on the 1st (month), in the project's timezone.",
              }),
            },
            { additionalProperties: false },
          ),
          { description: "How the balance refills; absent or null: never." },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  {
    description:
      "A usage quota: each valid verification spends its cost; at 0 verifications answer USAGE_EXCEEDED. null " +
      "removes it.",
  },
);

/** An IP allowlist as a request sets it; null falls back to the project's list. */
export const IpAllowlistInput = (description: string) =>
  nullable(
    Type.Array(Type.String({ minLength: 1, maxLength: MAX_IP_RANGE_LENGTH }), {
      maxItems: MAX_IP_ALLOWLIST_ENTRIES,
    }),
    {
      description:
        `${description} Up to ${MAX_IP_ALLOWLIST_ENTRIES} IPv4 or IPv6 addresses or CIDR ranges (203.0.113.0/24, ` +
        "2001:db8::/32); IPv4 entries also match IPv4-mapped IPv6 addresses (::ffff:203.0.113.7).",
    },
  );

/** An id path parameter. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: LIMITS.idLength }) });

/** Page size and cursor of a list. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 50, description: "Page size (1-100)." }),
  ),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: LIMITS.cursorLength,
      description: "nextCursor from the previous page.",
    }),
  ),
};

export const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.scopeLength }), {
  maxItems: LIMITS.scopes,
  description: "Granted scopes. `a:*` grants every scope starting with `a:`; `*` grants all.",
});

/** A key's roles in a request: names or ids of existing roles (see /v1/roles). */
export const KeyRoles = Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.scopeLength }), {
  maxItems: MAX_ROLES_PER_KEY,
  description:
    "Names or ids of existing roles (see /v1/roles), replaced whole: their permissions count as scopes in " +
    "verification. A name that is not a role is a 400.",
});

export const Meta = Type.Record(Type.String(), Type.Unknown(), {
  // TypeBox turns a Record's key schema into `patternProperties` and drops its maxLength; say it directly.
  propertyNames: { maxLength: 256 },
  description: "Free-form JSON object stored with the key (at most 8 KiB, 16 levels deep).",
});

const exampleTime = "2026-11-28T09:00:00.000Z";

/** An example key record, for the OpenAPI document. */
export const KEY_EXAMPLE = {
  id: "key_0Vg3bQn7QJ8YHh2xkLmN0a",
  projectId: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  name: "acme production",
  ownerId: "customer_42",
  start: "kw_3Fh9",
  scopes: ["orders:read", "orders:write"],
  roles: ["role_0Vg3dQ1n2Lq9Pz3RtYu4Ab"],
  meta: { plan: "pro" },
  createdAt: exampleTime,
  updatedAt: exampleTime,
  expiresAt: null,
  enabled: true,
  revokedAt: null,
  revokedReason: null,
  lastUsedAt: null,
  replacedBy: null,
  replaces: null,
  rotationDue: false,
  rateLimits: [{ name: "requests", limit: 100, windowMs: 60_000 }],
  quota: {
    remaining: 9_500,
    refill: { amount: 10_000, interval: "month" },
    refilledAt: "2026-11-01T00:00:00.000Z",
  },
  ipAllowlist: null,
  canary: false,
};

/** An example project, for the OpenAPI document. */
export const PROJECT_EXAMPLE = {
  id: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  name: "billing-api",
  keyPrefix: "bill",
  policies: { maxLifetime: "P1Y", rotationPeriod: "P90D" },
  ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
  timezone: "Europe/Paris",
  recoverableKeys: false,
  require2fa: true,
  createdAt: exampleTime,
};

/** An example token record, for the OpenAPI document. */
export const TOKEN_EXAMPLE = {
  id: "tok_0Vg3cW8n2Lq9Pz3RtYu4Ab",
  name: "ci-deployer",
  permissions: ["keys:create", "keys:read"],
  projectIds: ["proj_0Vg3aZk2Ww1Lq9Pz3RtYu4"],
  start: "kwr_9dQe",
  createdBy: "tok_0Vg3aZk2Ww1Lq9Pz3Rt000",
  createdAt: exampleTime,
  revokedAt: null,
  lastUsedAt: null,
};

/** A key as the API shows it: never the digest, never the key. */
export const KeySchema = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    ownerId: Type.Union([Type.String(), Type.Null()], {
      description: "Your own id for the holder of the key.",
    }),
    start: Type.String({ description: "Prefix and first characters of the key, for display." }),
    scopes: Type.Array(Type.String()),
    roles: Type.Array(Type.String(), {
      description: "Ids of the key's roles (a deleted role is left out); their permissions count as scopes.",
    }),
    meta: Type.Record(Type.String(), Type.Unknown()),
    createdAt: timestamp("When the key was created."),
    updatedAt: timestamp("When the key was last changed."),
    expiresAt: nullableTimestamp("When the key stops verifying, or null."),
    enabled: Type.Boolean(),
    revokedAt: nullableTimestamp("When the key was revoked, or null."),
    revokedReason: Type.Union([Type.String(), Type.Null()]),
    lastUsedAt: nullableTimestamp("Last successful verification (written in batches, about once a second)."),
    replacedBy: Type.Union([Type.String(), Type.Null()], {
      description: "The key that replaced this one by a rotation, or null.",
    }),
    replaces: Type.Union([Type.String(), Type.Null()], {
      description: "The key this one replaced by a rotation, or null.",
    }),
    rotationDue: Type.Boolean({
      description: "True when the key is older than the project's rotationPeriod and has not been rotated.",
    }),
    rateLimits: Type.Array(
      Type.Object({ name: Type.String(), limit: Type.Integer(), windowMs: Type.Integer() }),
      { description: "The key's sliding-window rate limits; [] for none." },
    ),
    quota: Type.Union(
      [
        Type.Object({
          remaining: Type.Integer({ description: "The live balance." }),
          refill: Type.Union([
            Type.Object({
              amount: Type.Integer(),
              interval: Type.Union([Type.Literal("day"), Type.Literal("month")]),
            }),
            Type.Null(),
          ]),
          refilledAt: nullableTimestamp("The refill boundary the balance belongs to, or null before any."),
        }),
        Type.Null(),
      ],
      { description: "The usage quota, or null for unlimited use." },
    ),
    ipAllowlist: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: "Addresses and CIDR ranges allowed to use the key, or null for the project's list.",
    }),
    canary: Type.Boolean({
      description: "A honeytoken: never valid (verifies as NOT_FOUND) and any use raises a canary alert.",
    }),
  },
  { $id: "Key", examples: [KEY_EXAMPLE] },
);

/** What each key policy means, for the OpenAPI document; every value is an ISO 8601 duration such as P90D. */
export const POLICY_DESCRIPTIONS = {
  maxLifetime:
    "Every key must expire by its creation plus this; a key created without expiresAt gets exactly that expiry.",
  rotationPeriod: "Keys at least this old are due for rotation (rotationDue, the key.rotation_due event).",
  inactivityRevocation: "Keys unused (since their last use, else their creation) this long are revoked.",
  expiryNotice: "How long before a key expires the key.expiring event fires; P7D when not set.",
} as const;

/** What a project's `require2fa` does, for the OpenAPI document. */
export const REQUIRE_2FA_DESCRIPTION =
  "Whether users must have two-factor authentication to act in this project: a user without it keeps no role " +
  "here, and a user with an instance-wide role gets TWO_FACTOR_REQUIRED everywhere until enrolled (off by " +
  "default; admin tokens are not affected; see docs/accounts.md).";

const policyDuration = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 40, description }));

export const ProjectSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    keyPrefix: Type.String({ description: "Prefix of every key issued in this project." }),
    policies: Type.Object(
      {
        maxLifetime: policyDuration(POLICY_DESCRIPTIONS.maxLifetime),
        rotationPeriod: policyDuration(POLICY_DESCRIPTIONS.rotationPeriod),
        inactivityRevocation: policyDuration(POLICY_DESCRIPTIONS.inactivityRevocation),
        expiryNotice: policyDuration(POLICY_DESCRIPTIONS.expiryNotice),
      },
      {
        description: "The key lifecycle policies the project sets, as ISO 8601 durations; absent = not set.",
      },
    ),
    ipAllowlist: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description:
        "Default IP allowlist of the project's keys (a key's own list replaces it), or null for none.",
    }),
    timezone: Type.String({ description: "IANA time zone in which quotas refill, UTC by default." }),
    recoverableKeys: Type.Boolean({
      description:
        "Whether Keyward keeps a sealed copy of each new key, readable with keys:reveal (off by default; see " +
        "docs/secrets.md for the trade-off).",
    }),
    require2fa: Type.Boolean({
      description: REQUIRE_2FA_DESCRIPTION,
    }),
    createdAt: timestamp("When the project was created."),
  },
  { $id: "Project", examples: [PROJECT_EXAMPLE] },
);

export const TokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    permissions: Type.Array(Type.String()),
    projectIds: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: "Projects the token is limited to, or null for all.",
    }),
    start: Type.String(),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: timestamp("When the token was created."),
    revokedAt: nullableTimestamp("When the token was revoked, or null."),
    lastUsedAt: nullableTimestamp("Last authenticated request (written in batches)."),
  },
  { $id: "Token", examples: [TOKEN_EXAMPLE] },
);

/** An RFC 9457 problem document with Keyward's stable `code`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: "Stable machine-readable code; see docs/errors.md." }),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
  },
  {
    $id: "Problem",
    examples: [
      {
        type: "https://keyward.dev/errors/validation_error",
        title: "The request is not valid.",
        status: 400,
        detail: "name must be at most 255 characters.",
        code: "VALIDATION_ERROR",
        requestId: "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab",
        errors: [{ pointer: "/name", detail: "must NOT have more than 255 characters" }],
      },
    ],
  },
);

// 128 leaves room for an Unkey name around a project id of LIMITS.idLength (`api.<id>.decrypt_key`).
export const PermissionList = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
  minItems: 1,
  maxItems: LIMITS.permissions,
  description:
    `Permissions: ${PERMISSIONS.join(", ")}, or wildcards such as keys:* and *. Unkey root key permission ` +
    "names (api.*.<action>, api.<apiId>.<action>, ratelimit.*.<action>) are accepted too and stored as the " +
    "Keyward permissions they map to; api.<apiId> names limit the token to those projects.",
});

/** Page wrapper for list responses; `example` is one item, shown in the OpenAPI document as a one-item page. */
export function pageOf<T extends Parameters<typeof Type.Array>[0]>(item: T, example: { id: string }) {
  return Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) },
    { examples: [{ items: [example], nextCursor: Buffer.from(example.id, "utf8").toString("base64url") }] },
  );
}
