import { MAX_KEY_BYTES, MIN_KEY_BYTES } from "@keyward/core/key-format.js";
import type { QuotaRefill, RateLimitRule } from "@keyward/core/key-record.js";
import { MAX_ROLES_PER_KEY, permissionId } from "@keyward/core/key-roles.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { type Static, type TSchema, Type } from "typebox";
import type { QuotaAdjustment } from "../../../limits/rate-limiter.js";
import { MAX_LIMIT_AMOUNT } from "../../../services/key-input-rules.js";
import {
  MAX_GRACE_PERIOD_SECONDS,
  type QuotaInput,
  type UpdateKeyInput,
} from "../../../services/key-service.js";
import { principalOf } from "../../auth.js";
import { LIMITS, Meta } from "../../schemas.js";
import { unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";

/*
 * Unkey's key-changing operations as an adapter over KeyService: an Unkey API is a Keyward project, permissions are
 * scopes, credits a quota, ratelimits the key's named rate limits, externalId the owner, expires Unix ms.
 */

const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const KEY_ID = "key_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const API_ID = "proj_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const PLAINTEXT = "sk_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5";

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const KeyId = Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "The key's id." });

export const Refill = Type.Object(
  {
    interval: Type.Union([Type.Literal("daily"), Type.Literal("monthly")], {
      description: "daily: at midnight; monthly: at midnight on the 1st; in the project's timezone.",
    }),
    amount: Type.Integer({
      minimum: 1,
      maximum: MAX_LIMIT_AMOUNT,
      description: "The balance after a refill.",
    }),
    refillDay: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 31, description: "Keyward refills monthly on day 1 only." }),
    ),
  },
  { additionalProperties: false },
);
export const Remaining = Type.Integer({ minimum: 0, maximum: MAX_LIMIT_AMOUNT });

export const Ratelimits = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 64 }),
      limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT_AMOUNT }),
      duration: Type.Integer({ minimum: 1, description: "The window in milliseconds." }),
      autoApply: Type.Optional(
        Type.Boolean({
          description: "Accepted either way: Keyward applies a key's limits to every verification.",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  { maxItems: 10, description: "Named sliding-window limits; replaced whole." },
);

const Roles = Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.scopeLength }), {
  maxItems: MAX_ROLES_PER_KEY,
  description: "Role names (or ids) of existing roles; replaced whole.",
});

export const Permissions = Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.scopeLength }), {
  maxItems: LIMITS.scopes,
  description: "Permission names (Keyward scopes); for removePermissions also the ids this API returned.",
});

const CreditsData = Type.Object(
  { remaining: nullable(Type.Integer()), refill: Type.Optional(Refill) },
  { examples: [{ remaining: 990, refill: { interval: "monthly", amount: 1_000, refillDay: 1 } }] },
);

const PERMISSIONS_EXAMPLE = [{ id: "perm_a2f9cebad333a0a7", name: "documents.read", slug: "documents.read" }];
const PermissionList = Type.Array(
  Type.Object({ id: Type.String(), name: Type.String(), slug: Type.String() }),
);

/** Unkey's success envelope around `data`, with an example of the whole body. */
function envelope<T extends TSchema>(data: T, example: unknown) {
  return Type.Object(
    { meta: Type.Object({ requestId: Type.String() }), data },
    { examples: [{ meta: { requestId: REQUEST_ID }, data: example }] },
  );
}

/** Unkey's refill as a Keyward quota refill; Keyward refills monthly on the 1st, so no other day is accepted. */
export function toRefill(refill: Static<typeof Refill>, pointer: string): QuotaRefill {
  if (refill.interval === "daily" && refill.refillDay !== undefined) {
    throw invalidField(`${pointer}/refillDay`, "is only for a monthly refill");
  }
  if (refill.refillDay !== undefined && refill.refillDay !== 1) {
    throw invalidField(
      `${pointer}/refillDay`,
      "must be 1 or absent: Keyward refills monthly credits on the 1st of the month",
    );
  }
  return { amount: refill.amount, interval: refill.interval === "daily" ? "day" : "month" };
}

/** A Keyward quota as Unkey's credits (`remaining: null` = unlimited). */
function toCredits(quota: { remaining: number; refill: QuotaRefill | null } | null) {
  if (quota === null) return { remaining: null };
  const refill = quota.refill;
  return {
    remaining: quota.remaining,
    ...(refill === null
      ? {}
      : refill.interval === "day"
        ? { refill: { interval: "daily" as const, amount: refill.amount } }
        : { refill: { interval: "monthly" as const, amount: refill.amount, refillDay: 1 } }),
  };
}

/** Keyward's field names in error pointers, as Unkey's request names them. */
const UNKEY_FIELD_NAMES: Readonly<Record<string, string>> = {
  expiresAt: "expires",
  ownerId: "externalId",
  scopes: "permissions",
  rateLimits: "ratelimits",
  windowMs: "duration",
  quota: "credits",
};

/** Awaits a service call; its field errors point at Unkey's request fields, so `errors[].location` is usable. */
export async function inUnkeyTerms<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof KeywardError) || error.errors === undefined) throw error;
    throw new KeywardError(error.code, error.message, {
      cause: error,
      retryable: error.retryable,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      errors: error.errors.map((e) => ({
        ...e,
        pointer: e.pointer
          .split("/")
          .map((segment) => UNKEY_FIELD_NAMES[segment] ?? segment)
          .join("/"),
      })),
    });
  }
}

export function toRateLimits(ratelimits: Static<typeof Ratelimits>): RateLimitRule[] {
  return ratelimits.map((r) => ({ name: r.name, limit: r.limit, windowMs: r.duration }));
}

/** Re-exported: a permission's id is derived from its slug, so a scope and its catalogue entry share one. */
export { permissionId };

function toPermissions(scopes: readonly string[]) {
  return scopes.map((name) => ({ id: permissionId(name), name, slug: name }));
}

const CreateBody = Type.Object(
  {
    apiId: Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "The project's id." }),
    prefix: Type.Optional(
      Type.String({
        maxLength: 20,
        description: "This key's prefix instead of the project's: [a-z][a-z0-9_]{0,19}.",
      }),
    ),
    name: Type.Optional(Type.String({ maxLength: LIMITS.nameLength })),
    byteLength: Type.Optional(
      Type.Integer({
        minimum: MIN_KEY_BYTES,
        maximum: MAX_KEY_BYTES,
        description:
          "Accepted from 16 to 64; Keyward always uses its configured key length (KEYWARD_KEY_BYTES).",
      }),
    ),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ownerIdLength })),
    meta: Type.Optional(Meta),
    roles: Type.Optional(Roles),
    permissions: Type.Optional(Permissions),
    expires: Type.Optional(Type.Integer({ minimum: 0, description: "Expiry in Unix milliseconds." })),
    credits: Type.Optional(
      Type.Object(
        { remaining: nullable(Remaining), refill: Type.Optional(Refill) },
        { additionalProperties: false, description: "remaining null: unlimited." },
      ),
    ),
    ratelimits: Type.Optional(Ratelimits),
    enabled: Type.Optional(Type.Boolean()),
    recoverable: Type.Optional(
      Type.Boolean({ description: "true only in a project with recoverable keys (a project-wide setting)." }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        apiId: API_ID,
        prefix: "sk",
        externalId: "user_1",
        meta: { plan: "pro" },
        permissions: ["documents.read"],
        credits: { remaining: 1_000, refill: { interval: "monthly", amount: 1_000 } },
        ratelimits: [{ name: "requests", limit: 10, duration: 1_000, autoApply: true }],
      },
    ],
  },
);

/** POST /v2/keys.createKey */
const registerCreateKey: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.createKey",
    {
      config: { permission: "keys:create" },
      schema: {
        tags: ["unkey"],
        summary: "Create a key (Unkey v2)",
        description:
          "Needs `keys:create`. Unkey's createKey over POST /v1/keys: `apiId` is a project id (404 when unknown or " +
          "not visible), `externalId` the owner, `permissions` scopes, `credits` a quota (refill monthly only on day " +
          "1), `ratelimits` the key's rate limits (applied to every verification whatever `autoApply` says), " +
          "`expires` Unix ms. `byteLength` is accepted (16-64) but keys take the configured length. `roles` name " +
          "existing roles (400 otherwise); `recoverable: true` needs a project with recoverable keys.",
        body: CreateBody,
        response: {
          200: envelope(Type.Object({ keyId: Type.String(), key: Type.String() }), {
            keyId: KEY_ID,
            key: PLAINTEXT,
          }),
        },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof CreateBody>;
      const principal = principalOf(request);
      const project = await deps.projects.resolveProject(principal, body.apiId);
      if (body.recoverable === true && !project.recoverableKeys) {
        throw invalidField(
          "/recoverable",
          "can be true only in a project with recoverable keys (turn recoverableKeys on for the project)",
        );
      }
      const credits = body.credits;
      if (credits?.remaining === null && credits.refill !== undefined) {
        throw invalidField("/credits/refill", "needs a remaining balance: unlimited credits do not refill");
      }
      const quota: QuotaInput | null =
        credits == null || credits.remaining === null
          ? null
          : {
              remaining: credits.remaining,
              refill: credits.refill === undefined ? null : toRefill(credits.refill, "/credits/refill"),
            };
      const { key, record } = await inUnkeyTerms(
        deps.keys.createKey(principal, {
          projectId: project.id,
          ...(body.prefix === undefined ? {} : { prefix: body.prefix }),
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.externalId === undefined ? {} : { ownerId: body.externalId }),
          ...(body.meta === undefined ? {} : { meta: body.meta }),
          ...(body.permissions === undefined ? {} : { scopes: body.permissions }),
          ...(body.roles === undefined ? {} : { roles: body.roles }),
          ...(body.expires === undefined ? {} : { expiresAt: body.expires }),
          ...(quota === null ? {} : { quota }),
          ...(body.ratelimits === undefined ? {} : { rateLimits: toRateLimits(body.ratelimits) }),
          ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
        }),
      );
      // As on Unkey, a new externalId gets an (empty) identity. The key exists already and its plaintext is shown
      // only in this answer, so a failure here is logged rather than losing the key for the caller.
      if (body.externalId !== undefined) {
        await deps.identities.ensureIdentity(principal, body.externalId).catch((error: unknown) => {
          request.log.warn({ err: error }, "the identity of a new key's externalId could not be created");
        });
      }
      return unkeyOk(request, { keyId: record.id, key });
    },
  );
};

const UpdateBody = Type.Object(
  {
    keyId: KeyId,
    name: Type.Optional(nullable(Type.String({ maxLength: LIMITS.nameLength }))),
    externalId: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: LIMITS.ownerIdLength }))),
    meta: Type.Optional(nullable(Meta)),
    expires: Type.Optional(nullable(Type.Integer({ minimum: 0 }))),
    credits: Type.Optional(
      nullable(
        Type.Object(
          {
            remaining: Type.Optional(nullable(Remaining)),
            refill: Type.Optional(nullable(Refill)),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    ratelimits: Type.Optional(Ratelimits),
    enabled: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Roles),
    permissions: Type.Optional(Permissions),
  },
  {
    additionalProperties: false,
    examples: [
      { keyId: KEY_ID, name: null, enabled: false },
      { keyId: KEY_ID, credits: { remaining: 500, refill: { interval: "daily", amount: 500 } } },
    ],
  },
);

/** The quota an Unkey credits patch asks for: absent = unchanged, null or `remaining: null` = unlimited. */
function quotaPatch(
  credits: Static<typeof UpdateBody>["credits"],
  existing: { refill: QuotaRefill | null } | null,
): QuotaInput | null | undefined {
  if (credits === undefined) return undefined;
  if (credits === null || credits.remaining === null) {
    if (credits?.refill != null) {
      throw invalidField("/credits/refill", "needs a remaining balance: unlimited credits do not refill");
    }
    return null;
  }
  if (credits.remaining === undefined) {
    // The live balance is the limiter's; a patch of the refill alone would overwrite it with a stale one.
    throw invalidField("/credits/remaining", "is required: a number, or null for unlimited credits");
  }
  const refill =
    credits.refill === undefined
      ? (existing?.refill ?? null)
      : credits.refill === null
        ? null
        : toRefill(credits.refill, "/credits/refill");
  return { remaining: credits.remaining, refill };
}

/** POST /v2/keys.updateKey */
const registerUpdateKey: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.updateKey",
    {
      config: { permission: "keys:update" },
      schema: {
        tags: ["unkey"],
        summary: "Update a key (Unkey v2)",
        description:
          "Needs `keys:update`. Unkey's updateKey over PATCH /v1/keys/{id}: an absent field stays, null clears it " +
          "(`credits: null` = unlimited, `meta: null` = {}). `credits` needs `remaining`; an absent `refill` keeps " +
          "the key's refill. `ratelimits`, `permissions` and `roles` (existing roles' names) replace the whole list.",
        body: UpdateBody,
        response: { 200: envelope(Type.Object({}), {}) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof UpdateBody>;
      const principal = principalOf(request);
      const existing =
        body.credits === undefined ? null : await deps.keys.findKeyToChange(principal, body.keyId);
      const quota = quotaPatch(body.credits, existing?.quota ?? null);
      const patch: UpdateKeyInput = {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.externalId === undefined ? {} : { ownerId: body.externalId }),
        ...(body.meta === undefined ? {} : { meta: body.meta ?? {} }),
        ...(body.expires === undefined ? {} : { expiresAt: body.expires }),
        ...(quota === undefined ? {} : { quota }),
        ...(body.ratelimits === undefined ? {} : { rateLimits: toRateLimits(body.ratelimits) }),
        ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
        ...(body.permissions === undefined ? {} : { scopes: body.permissions }),
        ...(body.roles === undefined ? {} : { roles: body.roles }),
      };
      await inUnkeyTerms(deps.keys.updateKey(principal, body.keyId, patch));
      // As on Unkey, a new externalId gets an (empty) identity.
      if (typeof body.externalId === "string")
        await deps.identities.ensureIdentity(principal, body.externalId);
      return unkeyOk(request, {});
    },
  );
};

const DeleteBody = Type.Object(
  {
    keyId: KeyId,
    permanent: Type.Optional(
      Type.Boolean({
        description:
          "false (default): revoke, keeping the record for the audit trail; true: erase the record for good.",
      }),
    ),
  },
  { additionalProperties: false, examples: [{ keyId: KEY_ID, permanent: false }] },
);

/** POST /v2/keys.deleteKey: revocation (Unkey's soft delete), or erasure with `permanent: true`. */
const registerDeleteKey: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.deleteKey",
    {
      config: { permission: "keys:revoke" },
      schema: {
        tags: ["unkey"],
        summary: "Delete a key (Unkey v2)",
        description:
          "Needs `keys:revoke`. Revokes the key (POST /v1/keys/{id}/revoke): it verifies as NOT_FOUND from now " +
          "on and its record stays, revoked. With `permanent: true` erases the record instead (DELETE " +
          "/v1/keys/{id}): getKey answers 404 afterwards; audit entries stay.",
        body: DeleteBody,
        response: { 200: envelope(Type.Object({}), {}) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof DeleteBody>;
      const principal = principalOf(request);
      if (body.permanent === true) await deps.keys.deleteKey(principal, body.keyId);
      else await deps.keys.revokeKey(principal, body.keyId, null);
      return unkeyOk(request, {});
    },
  );
};

const MAX_EXPIRATION_MS = MAX_GRACE_PERIOD_SECONDS * 1000;
const RerollBody = Type.Object(
  {
    keyId: KeyId,
    expiration: Type.Integer({
      minimum: 0,
      maximum: MAX_EXPIRATION_MS,
      description: "Milliseconds the old key keeps working (0: it stops at once; at most 30 days).",
    }),
  },
  { additionalProperties: false, examples: [{ keyId: KEY_ID, expiration: 86_400_000 }] },
);

/** POST /v2/keys.rerollKey */
const registerRerollKey: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.rerollKey",
    {
      config: { permission: "keys:rotate" },
      schema: {
        tags: ["unkey"],
        summary: "Reroll a key (Unkey v2)",
        description:
          "Needs `keys:rotate`. Rotation (POST /v1/keys/{id}/rotate) with a grace of `expiration` ms, rounded up " +
          "to whole seconds: the new key keeps the old one's prefix, permissions, meta, limits and credit balance.",
        body: RerollBody,
        response: {
          200: envelope(Type.Object({ keyId: Type.String(), key: Type.String() }), {
            keyId: KEY_ID,
            key: PLAINTEXT,
          }),
        },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof RerollBody>;
      const { key, record } = await deps.keys.rotateKey(principalOf(request), body.keyId, {
        gracePeriodSeconds: Math.ceil(body.expiration / 1000),
        keepPrefix: true,
      });
      return unkeyOk(request, { keyId: record.id, key });
    },
  );
};

const CreditsBody = Type.Object(
  {
    keyId: KeyId,
    operation: Type.Union([Type.Literal("set"), Type.Literal("increment"), Type.Literal("decrement")]),
    value: Type.Optional(nullable(Remaining)),
  },
  {
    additionalProperties: false,
    examples: [
      { keyId: KEY_ID, operation: "increment", value: 100 },
      { keyId: KEY_ID, operation: "set", value: null },
    ],
  },
);

/** POST /v2/keys.updateCredits */
const registerUpdateCredits: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.updateCredits",
    {
      config: { permission: "keys:update" },
      schema: {
        tags: ["unkey"],
        summary: "Update a key's credits (Unkey v2)",
        description:
          "Needs `keys:update`. `set` with a number sets the balance (giving an unlimited key a quota), `set` with " +
          "null makes the key unlimited; `increment` and `decrement` change the live balance atomically (POST " +
          "/v1/keys/{id}/quota), a decrement stopping at 0. Incrementing or decrementing unlimited credits is 400.",
        body: CreditsBody,
        response: { 200: envelope(CreditsData, { remaining: 990 }) },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof CreditsBody>;
      const principal = principalOf(request);
      const value = body.value;
      if (body.operation !== "set" && value == null) {
        throw invalidField("/value", `is required for ${body.operation}: a whole number from 0`);
      }
      if (body.operation === "set" && value === undefined) {
        throw invalidField("/value", "is required for set: a whole number, or null for unlimited credits");
      }
      const existing = await deps.keys.findKeyToChange(principal, body.keyId);
      if (value === null) {
        const updated = await deps.keys.updateKey(principal, body.keyId, { quota: null });
        return unkeyOk(request, toCredits(updated.quota));
      }
      if (existing.quota === null) {
        if (body.operation !== "set") {
          throw invalidField("/operation", "must be set: this key has unlimited credits; set a value first");
        }
        const updated = await deps.keys.updateKey(principal, body.keyId, {
          quota: { remaining: value as number },
        });
        return unkeyOk(request, toCredits(updated.quota));
      }
      const adjusted = await deps.keys.adjustQuota(principal, body.keyId, {
        [body.operation]: value,
      } as QuotaAdjustment);
      return unkeyOk(request, toCredits(adjusted.quota));
    },
  );
};

const PermissionsBody = Type.Object(
  { keyId: KeyId, permissions: Permissions },
  { additionalProperties: false, examples: [{ keyId: KEY_ID, permissions: ["documents.read"] }] },
);

/** The three permission operations: each computes the new scope list from the key's current one. */
function registerPermissions(
  operation: "add" | "set" | "remove",
  change: (current: readonly string[], asked: readonly string[]) => string[],
): UnkeyRoute {
  return (scope, deps) => {
    scope.post(
      `/v2/keys.${operation}Permissions`,
      {
        config: { permission: "keys:update" },
        schema: {
          tags: ["unkey"],
          summary: `${operation[0]?.toUpperCase()}${operation.slice(1)} a key's permissions (Unkey v2)`,
          description:
            "Needs `keys:update`. Unkey permissions are Keyward scopes (PATCH /v1/keys/{id} with `scopes`); returns " +
            "the key's resulting permissions, each with a stable id made from its name (`perm_` + 16 hex digits " +
            "of its SHA-256), which removePermissions also accepts.",
          body: PermissionsBody,
          response: { 200: envelope(PermissionList, PERMISSIONS_EXAMPLE) },
        },
      },
      async (request) => {
        const body = request.body as Static<typeof PermissionsBody>;
        const principal = principalOf(request);
        const current =
          operation === "set" ? [] : (await deps.keys.findKeyToChange(principal, body.keyId)).scopes;
        const updated = await inUnkeyTerms(
          deps.keys.updateKey(principal, body.keyId, { scopes: change(current, body.permissions) }),
        );
        return unkeyOk(request, toPermissions(updated.scopes));
      },
    );
  };
}

const registerAddPermissions = registerPermissions("add", (current, asked) => [...current, ...asked]);
const registerSetPermissions = registerPermissions("set", (_current, asked) => [...asked]);
const registerRemovePermissions = registerPermissions("remove", (current, asked) => {
  const gone = new Set(asked);
  return current.filter((name) => !gone.has(name) && !gone.has(permissionId(name)));
});

/** The key-changing operations of Unkey's v2 API. */
export const UNKEY_KEY_WRITE_ROUTES: readonly UnkeyRoute[] = [
  registerCreateKey,
  registerUpdateKey,
  registerDeleteKey,
  registerRerollKey,
  registerUpdateCredits,
  registerAddPermissions,
  registerSetPermissions,
  registerRemovePermissions,
];
