import type { KeyRecord } from "@keyward/core/key-record.js";
import { invalidField, KeywardError } from "@keyward/core/keyward-error.js";
import { parsePermissionQuery } from "@keyward/core/permission-query.js";
import type { VerificationCode } from "@keyward/core/verification.js";
import type { FastifyReply } from "fastify";
import { type Static, Type } from "typebox";
import type { VerifyKeyInput, VerifyKeyResult } from "../../../services/key-service.js";
import { type Principal, requirePermission } from "../../../services/principal.js";
import type { IdentityRecord } from "../../../store/identity-store.js";
import type { AppDependencies } from "../../app.js";
import { principalOf } from "../../auth.js";
import { Cost, LIMIT_NAME_PATTERN, LIMITS } from "../../schemas.js";
import { compact, type UnkeyPagination, unkeyOk } from "../envelope.js";
import {
  presentUnkeyIdentity,
  presentUnkeyKey,
  UNKEY_KEY_EXAMPLE,
  UnkeyIdentity,
  UnkeyKeyData,
  unkeyRatelimitId,
} from "../key-presenter.js";
import type { UnkeyRoute } from "../register.js";

const Meta = Type.Object({ requestId: Type.String() });
const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const API_ID = "proj_0Vg3aZk2Ww1Lq9Pz3RtYu4";
const KEY_EXAMPLE = "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5";
const PlaintextKey = Type.String({ minLength: 1, maxLength: LIMITS.keyLength, description: "The key." });
const KeyId = Type.String({
  minLength: 1,
  maxLength: LIMITS.idLength,
  description: "The key's id (`key_…`).",
});

/** Unkey's verification codes. */
type UnkeyVerifyCode =
  | "VALID"
  | "NOT_FOUND"
  | "FORBIDDEN"
  | "INSUFFICIENT_PERMISSIONS"
  | "USAGE_EXCEEDED"
  | "RATE_LIMITED"
  | "DISABLED"
  | "EXPIRED";

/** Keyward's verification code as Unkey names it: a revoked key is a deleted one, a refused IP is FORBIDDEN. */
const UNKEY_CODES: Record<VerificationCode, UnkeyVerifyCode> = {
  VALID: "VALID",
  NOT_FOUND: "NOT_FOUND",
  REVOKED: "NOT_FOUND",
  EXPIRED: "EXPIRED",
  DISABLED: "DISABLED",
  IP_NOT_ALLOWED: "FORBIDDEN",
  INSUFFICIENT_SCOPE: "INSUFFICIENT_PERMISSIONS",
  RATE_LIMITED: "RATE_LIMITED",
  USAGE_EXCEEDED: "USAGE_EXCEEDED",
};

const VerifyBody = Type.Object(
  {
    key: PlaintextKey,
    tags: Type.Optional(
      Type.Array(Type.String({ maxLength: 128 }), { maxItems: 20, description: "Accepted and ignored." }),
    ),
    permissions: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          "A permission query over the key's scopes: names joined by `AND`/`OR`, with parentheses " +
          "(`a AND (b OR c)`; AND binds tighter). A held `a:*` or `*` grants what it covers.",
      }),
    ),
    credits: Type.Optional(
      Type.Object(
        { cost: Cost },
        { additionalProperties: false, description: "Spends `cost` of the key's quota (default 1)." },
      ),
    ),
    ratelimits: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64, pattern: LIMIT_NAME_PATTERN }),
            cost: Type.Optional(Cost),
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                description:
                  "This call only: the limit in place of the named limit's (as a key's limit is checked).",
              }),
            ),
            duration: Type.Optional(
              Type.Integer({
                minimum: 1,
                description:
                  "This call only: the window in ms in place of the named limit's, counted apart from its usual window.",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 10,
          description:
            "Charges these rate limits of the key `cost` each (default 1); its other limits are charged 1. " +
            "`limit`/`duration` override a limit for this call only.",
        },
      ),
    ),
    migrationId: Type.Optional(
      Type.String({
        maxLength: 256,
        description:
          "A migration id a keys.migrateKeys call used (in a project the token can see), else a 400. Not needed: " +
          "imported keys verify without it.",
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      { key: KEY_EXAMPLE, permissions: "documents.read AND (documents.write OR admin)" },
      { key: KEY_EXAMPLE, credits: { cost: 2 }, ratelimits: [{ name: "requests", cost: 1 }] },
      { key: KEY_EXAMPLE, ratelimits: [{ name: "requests", limit: 10, duration: 1_000 }] },
    ],
  },
);

const VerifyData = Type.Object({
  valid: Type.Boolean(),
  code: Type.Union([
    Type.Literal("VALID"),
    Type.Literal("NOT_FOUND"),
    Type.Literal("FORBIDDEN"),
    Type.Literal("INSUFFICIENT_PERMISSIONS"),
    Type.Literal("USAGE_EXCEEDED"),
    Type.Literal("RATE_LIMITED"),
    Type.Literal("DISABLED"),
    Type.Literal("EXPIRED"),
  ]),
  keyId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  expires: Type.Optional(Type.Integer()),
  credits: Type.Optional(
    Type.Integer({ description: "The quota left, when the key has one and reached it." }),
  ),
  enabled: Type.Optional(Type.Boolean()),
  permissions: Type.Optional(
    Type.Array(Type.String(), {
      description: "When a query was checked: the key's scopes and its roles' permissions.",
    }),
  ),
  roles: Type.Optional(
    Type.Array(Type.String(), { description: "When a query was checked: the names of the key's roles." }),
  ),
  identity: Type.Optional(UnkeyIdentity),
  ratelimits: Type.Optional(
    Type.Array(
      Type.Object({
        exceeded: Type.Boolean(),
        id: Type.String(),
        name: Type.String(),
        limit: Type.Integer(),
        duration: Type.Integer(),
        reset: Type.Integer({ description: "When the window ends, Unix ms." }),
        remaining: Type.Integer(),
        autoApply: Type.Boolean(),
      }),
    ),
  ),
});

type VerifyDataBody = Static<typeof VerifyData>;

/** Keyward's verification result in Unkey's shape; nothing about the key is told when it is NOT_FOUND. */
function presentVerification(result: VerifyKeyResult, permissionsChecked: boolean): VerifyDataBody {
  const code = UNKEY_CODES[result.code];
  const key = result.key;
  if (key === undefined || code === "NOT_FOUND") return { valid: false, code: "NOT_FOUND" };
  return compact({
    valid: result.valid,
    code,
    keyId: key.id,
    name: key.name,
    meta: Object.keys(key.meta).length === 0 ? undefined : key.meta,
    expires: key.expiresAt,
    credits: result.quota?.remaining,
    enabled: key.enabled,
    permissions: permissionsChecked ? (result.grantedScopes ?? key.scopes) : undefined,
    roles: permissionsChecked && (result.roles?.length ?? 0) > 0 ? result.roles : undefined,
    identity: key.ownerId === null ? undefined : presentUnkeyIdentity(key.ownerId, result.identity),
    ratelimits: result.rateLimits?.map((limit) => ({
      exceeded: !limit.allowed,
      // An identity's limit is named by the identity, whose keys share it.
      id: unkeyRatelimitId(limit.identityId ?? key.id, limit.name),
      name: limit.name,
      limit: limit.limit,
      duration: limit.windowMs,
      reset: limit.resetAt,
      remaining: limit.remaining,
      autoApply: true,
    })),
  }) as VerifyDataBody;
}

/** The verify request as KeyService takes it; a malformed query or an unsupported field is a 400. */
function verifyInput(body: Static<typeof VerifyBody>, ip: string): VerifyKeyInput {
  const seen = new Set<string>();
  (body.ratelimits ?? []).forEach((limit, index) => {
    if (seen.has(limit.name)) throw invalidField(`/ratelimits/${index}/name`, "must name each limit once");
    seen.add(limit.name);
  });
  let scopeQuery: VerifyKeyInput["scopeQuery"];
  if (body.permissions !== undefined) {
    const parsed = parsePermissionQuery(body.permissions);
    if (!parsed.ok) throw invalidField("/permissions", parsed.error);
    scopeQuery = parsed.query;
  }
  return {
    key: body.key,
    ...(scopeQuery === undefined ? {} : { scopeQuery }),
    // Unkey checks a key's IP allowlist against the address the verification comes from.
    ip,
    sourceIp: ip,
    cost: body.credits?.cost ?? 1,
    // Rate limits count requests, credits count cost: the key's other limits are charged 1 each, as Unkey
    // auto-applies them.
    unnamedRateLimitCost: 1,
    ...(body.ratelimits === undefined
      ? {}
      : {
          rateLimits: body.ratelimits.map((limit) => ({
            name: limit.name,
            cost: limit.cost ?? 1,
            ...(limit.limit === undefined ? {} : { limit: limit.limit }),
            ...(limit.duration === undefined ? {} : { windowMs: limit.duration }),
          })),
        }),
  };
}

/** The service's field errors about `rateLimits` named as this request's fields (`ratelimits`, `duration`). */
function inUnkeyFields(error: unknown): unknown {
  if (!(error instanceof KeywardError) || error.errors === undefined) return error;
  const errors = error.errors.map((e) => ({
    ...e,
    pointer: e.pointer.replace(/^\/rateLimits\//, "/ratelimits/").replace(/\/windowMs$/, "/duration"),
  }));
  return new KeywardError(error.code, error.message, { cause: error, errors, retryable: error.retryable });
}

/** POST /v2/keys.verifyKey: Keyward's verification, answered in Unkey's shape (always 200 for an outcome). */
const registerVerifyKey: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.verifyKey",
    {
      config: { permission: "keys:verify" },
      schema: {
        tags: ["unkey"],
        summary: "Verify a key (Unkey v2)",
        description:
          "Unkey-compatible verification over `/v1/keys/verify`'s rules. Needs `keys:verify`. Always HTTP 200 " +
          "with `valid` and `code`: VALID, NOT_FOUND (unknown, revoked or hidden; no key details), FORBIDDEN " +
          "(the caller's address is not on the IP allowlist), INSUFFICIENT_PERMISSIONS (the `permissions` query " +
          "fails on the key's scopes), RATE_LIMITED, USAGE_EXCEEDED (`credits.cost` exceeds the quota), " +
          "DISABLED, EXPIRED. A malformed query, a rate limit the key does not have, a per-call " +
          "`limit`/`duration` override out of a key limit's bounds, or a `migrationId` no keys.migrateKeys call used is a 400. Keys imported " +
          "by keys.migrateKeys verify with their original plaintext, with or without `migrationId`.",
        body: VerifyBody,
        response: {
          200: Type.Object(
            { meta: Meta, data: VerifyData },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: {
                    valid: true,
                    code: "VALID",
                    keyId: UNKEY_KEY_EXAMPLE.keyId,
                    enabled: true,
                    credits: 8,
                    permissions: ["documents.read", "documents.write"],
                    roles: ["editor"],
                    ratelimits: [
                      {
                        exceeded: false,
                        id: "rl_3Fh9xq0T8cVb2LmN",
                        name: "requests",
                        limit: 100,
                        duration: 60_000,
                        reset: 1_795_856_460_000,
                        remaining: 99,
                        autoApply: true,
                      },
                    ],
                  },
                },
                { meta: { requestId: REQUEST_ID }, data: { valid: false, code: "NOT_FOUND" } },
              ],
            },
          ),
        },
      },
    },
    async (request) => {
      const input = verifyInput(request.body, request.ip);
      const principal = principalOf(request);
      const { migrationId } = request.body;
      if (migrationId !== undefined && !(await deps.keys.hasMigration(principal, migrationId))) {
        throw invalidField(
          "/migrationId",
          "names no migration: import keys with keys.migrateKeys under this migrationId first (or leave it out)",
        );
      }
      const result = await deps.keys.verifyKey(principal, input).catch((error: unknown) => {
        throw inUnkeyFields(error);
      });
      return unkeyOk(request, presentVerification(result, input.scopeQuery !== undefined));
    },
  );
};

const KeyEnvelope = Type.Object(
  { meta: Meta, data: UnkeyKeyData },
  { examples: [{ meta: { requestId: REQUEST_ID }, data: UNKEY_KEY_EXAMPLE }] },
);

/** POST /v2/keys.getKey: one key by id. */
const registerGetKey: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.getKey",
    {
      config: { permission: "keys:read" },
      schema: {
        tags: ["unkey"],
        summary: "Get a key (Unkey v2)",
        description:
          "Unkey-compatible: the key `keyId` (scopes as `permissions`, quota as `credits`, owner as " +
          "`identity.externalId`). Needs `keys:read`; 404 when it does not exist or the token cannot see it. " +
          DECRYPT_DESCRIPTION,
        body: Type.Object(
          { keyId: KeyId, decrypt: Type.Optional(Decrypt) },
          {
            additionalProperties: false,
            examples: [{ keyId: UNKEY_KEY_EXAMPLE.keyId }, { keyId: UNKEY_KEY_EXAMPLE.keyId, decrypt: true }],
          },
        ),
        response: { 200: KeyEnvelope },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const decrypt = request.body.decrypt === true;
      if (decrypt) mayDecrypt(deps, principal, reply);
      const key = await deps.keys.getKey(principal, request.body.keyId);
      const plaintext = decrypt ? await revealed(deps, principal, key) : undefined;
      return unkeyOk(
        request,
        presentUnkeyKey(
          key,
          await ownerIdentity(deps, key.ownerId),
          deps.keyRoles.roleNames(key.roles),
          plaintext,
        ),
      );
    },
  );
};

/** POST /v2/keys.whoami: the key a plaintext is, found like verification finds it, with no side effect. */
const registerWhoami: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.whoami",
    {
      config: { permission: "keys:read" },
      schema: {
        tags: ["unkey"],
        summary: "Identify a key (Unkey v2)",
        description:
          "Unkey-compatible: the key whose plaintext is `key`, whatever its state (revoked, expired, disabled). " +
          "Needs `keys:read`; 404 when no key matches or the token cannot see it. Nothing is verified, counted " +
          "or charged.",
        body: Type.Object(
          { key: PlaintextKey },
          { additionalProperties: false, examples: [{ key: KEY_EXAMPLE }] },
        ),
        response: { 200: KeyEnvelope },
      },
    },
    async (request) => {
      const key = await deps.keys.findKeyByPlaintext(principalOf(request), request.body.key);
      return unkeyOk(
        request,
        presentUnkeyKey(key, await ownerIdentity(deps, key.ownerId), deps.keyRoles.roleNames(key.roles)),
      );
    },
  );
};

/** POST /v2/apis.listKeys: the project's keys, one page at a time (the /v1 cursor). */
const registerListKeys: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/apis.listKeys",
    {
      config: { permission: "keys:read" },
      schema: {
        tags: ["unkey"],
        summary: "List an API's keys (Unkey v2)",
        description:
          "Unkey-compatible: the keys of project `apiId` in creation order, `limit` (1-100) per page, only " +
          "those of owner `externalId` when given. `pagination.cursor` is left out on the last page. Needs " +
          "`keys:read`; 404 when the project does not exist or the token cannot see it. " +
          DECRYPT_DESCRIPTION +
          " With `decrypt`, each key of the page with a copy is one reveal: a page with more than the token's " +
          "reveal limit of them is a 429 (ask for smaller pages).",
        body: Type.Object(
          {
            apiId: Type.String({ minLength: 1, maxLength: LIMITS.idLength }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.cursorLength })),
            externalId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ownerIdLength })),
            decrypt: Type.Optional(Decrypt),
            revalidateKeysCache: Type.Optional(Type.Boolean({ description: "Accepted and ignored." })),
          },
          {
            additionalProperties: false,
            examples: [{ apiId: API_ID, limit: 50, externalId: "user_123" }],
          },
        ),
        response: {
          200: Type.Object(
            {
              meta: Meta,
              data: Type.Array(UnkeyKeyData),
              pagination: Type.Object({ hasMore: Type.Boolean(), cursor: Type.Optional(Type.String()) }),
            },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: [UNKEY_KEY_EXAMPLE],
                  pagination: { hasMore: true, cursor: "a2V5XzBWZzNiUW43UUo4WUhoMnhrTG1OMGE" },
                },
              ],
            },
          ),
        },
      },
    },
    async (request, reply) => {
      const { apiId, limit, cursor, externalId, decrypt } = request.body;
      const principal = principalOf(request);
      if (decrypt === true) mayDecrypt(deps, principal, reply);
      // An unknown or hidden API is a 404, as on Unkey, rather than an empty list.
      await deps.projects.resolveProject(principal, apiId);
      const page = await deps.keys.listKeys(principal, {
        projectId: apiId,
        limit: limit ?? 100,
        ...(cursor === undefined ? {} : { cursor }),
        ...(externalId === undefined ? {} : { ownerId: externalId }),
      });
      const pagination: UnkeyPagination =
        page.nextCursor === null ? { hasMore: false } : { hasMore: true, cursor: page.nextCursor };
      // Spelled out: the pagination is required here, where unkeyOk() types it as optional.
      const data = [];
      for (const key of page.items) {
        const roles = deps.keyRoles.roleNames(key.roles);
        const plaintext = decrypt === true ? await revealed(deps, principal, key) : undefined;
        data.push(presentUnkeyKey(key, await ownerIdentity(deps, key.ownerId), roles, plaintext));
      }
      return { ...unkeyOk(request, data), pagination };
    },
  );
};

/** The identity of a key's owner (through the identity cache), or null for a key without owner or identity. */
async function ownerIdentity(deps: AppDependencies, ownerId: string | null): Promise<IdentityRecord | null> {
  return ownerId === null ? null : deps.identities.identityFor(ownerId);
}

const Decrypt = Type.Boolean({
  description:
    "Also answer `plaintext` for keys Keyward kept a copy of (`recoverableKeys`); needs `keys:reveal` (Unkey's " +
    "`decrypt_key`).",
});

const DECRYPT_DESCRIPTION =
  "`decrypt: true` also needs `keys:reveal` (and, from a user's session, a recent second factor) and answers " +
  "`plaintext` for a key Keyward kept a copy of (left out for any other key), through `/v1/keys/{id}/reveal`'s " +
  "path: audited as `key.revealed`, counted against the token's reveal limit (429 TOO_MANY_REVEALS), " +
  "`Cache-Control: no-store`.";

/**
 * `decrypt: true` is a reveal: refused up front without `keys:reveal` or (for a session) a recent step-up. The
 * answer is never cached, whatever it holds (a 429 or a failure after some keys of a page were revealed too).
 */
function mayDecrypt(deps: AppDependencies, principal: Principal, reply: FastifyReply): void {
  requirePermission(principal, "keys:reveal");
  deps.auth.requireStepUp(principal);
  reply.header("cache-control", "no-store");
}

/** A key's plaintext through the reveal path (audited, counted), or undefined when no copy was kept. */
async function revealed(
  deps: AppDependencies,
  principal: Principal,
  key: KeyRecord,
): Promise<string | undefined> {
  return (await deps.secrets.revealKeyIfKept(principal, key)) ?? undefined;
}

export const UNKEY_KEY_READ_ROUTES: readonly UnkeyRoute[] = [
  registerVerifyKey,
  registerGetKey,
  registerWhoami,
  registerListKeys,
];
