import { createHash } from "node:crypto";
import { Type } from "typebox";
import type { RatelimitResult } from "../../../services/ratelimit-service.js";
import type { RateLimitOverride } from "../../../store/records.js";
import { principalOf } from "../../auth.js";
import {
  Identifier,
  MAX_OVERRIDE_CURSOR_LENGTH,
  Namespace,
} from "../../routes/v1/ratelimit/ratelimit-schemas.js";
import { Cost, LimitAmount, WindowMs } from "../../schemas.js";
import { type UnkeyPagination, unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";

const Meta = Type.Object({ requestId: Type.String() });
const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const OVERRIDE_ID = "ovr_3kXq0Yv9bL2mNc7RtPz1Aw";
/** Most checks one multiLimit request may carry. */
const MAX_MULTI_LIMITS = 100;

/**
 * Keyward's overrides have no id of their own: one exists per (namespace, identifier), so the id Unkey's clients
 * expect is derived from that pair, the same on every node and every call.
 */
export function overrideIdOf(namespace: string, identifier: string): string {
  const digest = createHash("sha256").update(`${namespace}\u0000${identifier}`, "utf8").digest("base64url");
  return `ovr_${digest.slice(0, 22)}`;
}

const LimitFields = {
  namespace: Namespace,
  identifier: Identifier,
  limit: LimitAmount,
  duration: { ...WindowMs, description: "The window in milliseconds (Keyward's windowMs)." },
};

const LimitBody = Type.Object(
  { ...LimitFields, cost: Type.Optional(Cost) },
  {
    additionalProperties: false,
    examples: [{ namespace: "login", identifier: "user_42", limit: 5, duration: 60_000, cost: 1 }],
  },
);

const LimitData = Type.Object({
  limit: Type.Integer({ description: "The limit that applied: the override's, else the requested one." }),
  remaining: Type.Integer(),
  reset: Type.Integer({ description: "When the window resets, Unix milliseconds." }),
  success: Type.Boolean(),
  overrideId: Type.Optional(Type.String()),
});

const OverrideData = Type.Object({
  overrideId: Type.String(),
  identifier: Type.String(),
  limit: Type.Integer(),
  duration: Type.Integer(),
});
const OVERRIDE_EXAMPLE = { overrideId: OVERRIDE_ID, identifier: "user_42", limit: 100, duration: 60_000 };

/** One check's answer in Unkey's shape. */
function limitData(namespace: string, identifier: string, result: RatelimitResult) {
  return {
    limit: result.limit,
    remaining: result.remaining,
    reset: Math.ceil(result.resetAt),
    success: result.success,
    ...(result.overridden === true ? { overrideId: overrideIdOf(namespace, identifier) } : {}),
  };
}

function overrideData(override: RateLimitOverride) {
  return {
    overrideId: overrideIdOf(override.namespace, override.identifier),
    identifier: override.identifier,
    limit: override.limit,
    duration: override.windowMs,
  };
}

/** POST /v2/ratelimit.limit: the standalone limit of POST /v1/ratelimit. */
const registerLimit: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/ratelimit.limit",
    {
      config: { permission: "ratelimit:limit" },
      schema: {
        tags: ["unkey"],
        summary: "Check a rate limit (Unkey v2)",
        description:
          "Unkey-compatible form of POST /v1/ratelimit: counts `cost` (default 1) against `limit` per sliding " +
          "window of `duration` ms for `identifier` in `namespace`. An exceeded limit is HTTP 200 with " +
          "`success: false`; `reset` is Unix ms. `overrideId` is set when an override replaced the limit. " +
          "Needs `ratelimit:limit`.",
        body: LimitBody,
        response: {
          200: Type.Object(
            { meta: Meta, data: LimitData },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: { limit: 5, remaining: 4, reset: 1_795_856_460_000, success: true },
                },
              ],
            },
          ),
        },
      },
    },
    async (request) => {
      const { namespace, identifier, limit, duration, cost } = request.body;
      const result = await deps.ratelimits.limit(principalOf(request), {
        namespace,
        identifier,
        limit,
        windowMs: duration,
        ...(cost === undefined ? {} : { cost }),
      });
      return unkeyOk(request, limitData(namespace, identifier, result));
    },
  );
};

/** POST /v2/ratelimit.multiLimit: several standalone checks in one request. */
const registerMultiLimit: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/ratelimit.multiLimit",
    {
      config: { permission: "ratelimit:limit" },
      schema: {
        tags: ["unkey"],
        summary: "Check several rate limits (Unkey v2)",
        description:
          `Unkey-compatible: the body is an array of 1-${MAX_MULTI_LIMITS} \`ratelimit.limit\` bodies, checked ` +
          "one after the other, each counted on its own (a refused check does not undo the others). `passed` " +
          "is true when every check passed. Needs `ratelimit:limit`.",
        body: Type.Array(LimitBody, {
          minItems: 1,
          maxItems: MAX_MULTI_LIMITS,
          examples: [
            [
              { namespace: "api", identifier: "user_42", limit: 100, duration: 60_000 },
              { namespace: "api.daily", identifier: "user_42", limit: 10_000, duration: 86_400_000 },
            ],
          ],
        }),
        response: {
          200: Type.Object(
            {
              meta: Meta,
              data: Type.Object({
                passed: Type.Boolean(),
                limits: Type.Array(
                  Type.Object({
                    namespace: Type.String(),
                    identifier: Type.String(),
                    limit: Type.Integer(),
                    remaining: Type.Integer(),
                    reset: Type.Integer(),
                    passed: Type.Boolean(),
                    overrideId: Type.Optional(Type.String()),
                  }),
                ),
              }),
            },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: {
                    passed: true,
                    limits: [
                      {
                        namespace: "api",
                        identifier: "user_42",
                        limit: 100,
                        remaining: 99,
                        reset: 1_795_856_460_000,
                        passed: true,
                      },
                    ],
                  },
                },
              ],
            },
          ),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const limits = [];
      for (const { namespace, identifier, limit, duration, cost } of request.body) {
        const result = await deps.ratelimits.limit(principal, {
          namespace,
          identifier,
          limit,
          windowMs: duration,
          ...(cost === undefined ? {} : { cost }),
        });
        const { success, ...data } = limitData(namespace, identifier, result);
        limits.push({ namespace, identifier, ...data, passed: success });
      }
      return unkeyOk(request, { passed: limits.every((l) => l.passed), limits });
    },
  );
};

/** POST /v2/ratelimit.setOverride: PUT /v1/ratelimit/overrides. */
const registerSetOverride: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/ratelimit.setOverride",
    {
      config: { permission: "ratelimit:write" },
      schema: {
        tags: ["unkey"],
        summary: "Set a rate limit override (Unkey v2)",
        description:
          "Unkey-compatible form of PUT /v1/ratelimit/overrides: creates or replaces the override of one exact " +
          "identifier (`*` is an ordinary character, not a wildcard). Needs `ratelimit:write`; a token limited " +
          "to projects cannot set overrides, which are instance-wide.",
        body: Type.Object(LimitFields, {
          additionalProperties: false,
          examples: [{ namespace: "login", identifier: "user_42", limit: 100, duration: 60_000 }],
        }),
        response: {
          200: Type.Object(
            { meta: Meta, data: Type.Object({ overrideId: Type.String() }) },
            { examples: [{ meta: { requestId: REQUEST_ID }, data: { overrideId: OVERRIDE_ID } }] },
          ),
        },
      },
    },
    async (request) => {
      const { namespace, identifier, limit, duration } = request.body;
      const override = await deps.ratelimits.setOverride(principalOf(request), {
        namespace,
        identifier,
        limit,
        windowMs: duration,
      });
      return unkeyOk(request, { overrideId: overrideIdOf(override.namespace, override.identifier) });
    },
  );
};

const OverrideKey = Type.Object(
  { namespace: Namespace, identifier: Identifier },
  { additionalProperties: false, examples: [{ namespace: "login", identifier: "user_42" }] },
);

/** POST /v2/ratelimit.getOverride: one identifier's override. */
const registerGetOverride: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/ratelimit.getOverride",
    {
      config: { permission: "ratelimit:read" },
      schema: {
        tags: ["unkey"],
        summary: "Get a rate limit override (Unkey v2)",
        description:
          "Unkey-compatible: the override of exactly `identifier` in `namespace`; 404 when there is none. " +
          "Needs `ratelimit:read`.",
        body: OverrideKey,
        response: {
          200: Type.Object(
            { meta: Meta, data: OverrideData },
            { examples: [{ meta: { requestId: REQUEST_ID }, data: OVERRIDE_EXAMPLE }] },
          ),
        },
      },
    },
    async (request) => {
      const { namespace, identifier } = request.body;
      return unkeyOk(
        request,
        overrideData(await deps.ratelimits.getOverride(principalOf(request), namespace, identifier)),
      );
    },
  );
};

/** POST /v2/ratelimit.deleteOverride: DELETE /v1/ratelimit/overrides. */
const registerDeleteOverride: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/ratelimit.deleteOverride",
    {
      config: { permission: "ratelimit:write" },
      schema: {
        tags: ["unkey"],
        summary: "Delete a rate limit override (Unkey v2)",
        description:
          "Unkey-compatible form of DELETE /v1/ratelimit/overrides; 404 when there is no override for " +
          "`identifier`. Needs `ratelimit:write`.",
        body: OverrideKey,
        response: {
          200: Type.Object(
            { meta: Meta, data: Type.Object({}) },
            { examples: [{ meta: { requestId: REQUEST_ID }, data: {} }] },
          ),
        },
      },
    },
    async (request) => {
      const { namespace, identifier } = request.body;
      await deps.ratelimits.deleteOverride(principalOf(request), namespace, identifier);
      return unkeyOk(request, {});
    },
  );
};

/** POST /v2/ratelimit.listOverrides: GET /v1/ratelimit/overrides. */
const registerListOverrides: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/ratelimit.listOverrides",
    {
      config: { permission: "ratelimit:read" },
      schema: {
        tags: ["unkey"],
        summary: "List rate limit overrides (Unkey v2)",
        description:
          "Unkey-compatible: the overrides of `namespace` in identifier order, `limit` (1-100, default 10) a " +
          "page; `pagination.cursor` is left out on the last page. Needs `ratelimit:read`.",
        body: Type.Object(
          {
            namespace: Namespace,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_OVERRIDE_CURSOR_LENGTH })),
          },
          { additionalProperties: false, examples: [{ namespace: "login", limit: 10 }] },
        ),
        response: {
          200: Type.Object(
            {
              meta: Meta,
              data: Type.Array(OverrideData),
              pagination: Type.Object({ hasMore: Type.Boolean(), cursor: Type.Optional(Type.String()) }),
            },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: [OVERRIDE_EXAMPLE],
                  pagination: { hasMore: true, cursor: "dXNlcl80Mg" },
                },
              ],
            },
          ),
        },
      },
    },
    async (request) => {
      const { namespace, limit, cursor } = request.body;
      const page = await deps.ratelimits.listOverrides(principalOf(request), namespace, {
        limit: limit ?? 10,
        ...(cursor === undefined ? {} : { cursor }),
      });
      // Spelled out rather than unkeyOk's optional argument: the response type requires pagination here.
      const pagination: UnkeyPagination =
        page.nextCursor === null ? { hasMore: false } : { hasMore: true, cursor: page.nextCursor };
      return { ...unkeyOk(request, page.items.map(overrideData)), pagination };
    },
  );
};

/** The Unkey `ratelimit.*` operations. */
export const UNKEY_RATELIMIT_ROUTES: readonly UnkeyRoute[] = [
  registerLimit,
  registerMultiLimit,
  registerSetOverride,
  registerGetOverride,
  registerDeleteOverride,
  registerListOverrides,
];
