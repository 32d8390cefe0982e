import { PERMISSIONS } from "@keyward/core/permissions.js";
import { Type } from "typebox";

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
};

/** An example project, for the OpenAPI document. */
export const PROJECT_EXAMPLE = {
  id: "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4",
  name: "billing-api",
  keyPrefix: "bill",
  policies: { maxLifetime: "P1Y", rotationPeriod: "P90D" },
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

export const PermissionList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  minItems: 1,
  maxItems: LIMITS.permissions,
  description: `Permissions: ${PERMISSIONS.join(", ")}, or wildcards such as keys:* and *.`,
});

/** Page wrapper for list responses; `example` is one item, shown in the OpenAPI document as a one-item page. */
export function pageOf<T extends Parameters<typeof Type.Array>[0]>(item: T, example: { id: string }) {
  return Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) },
    { examples: [{ items: [example], nextCursor: Buffer.from(example.id, "utf8").toString("base64url") }] },
  );
}
