import type { RateLimitRule } from "@keyward/core/key-record.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { type Static, type TSchema, Type } from "typebox";
import { MAX_EXTERNAL_ID_LENGTH, MAX_IDENTITY_SEARCH_LENGTH } from "../../../services/identity-service.js";
import { MAX_LIMIT_AMOUNT, MAX_RATE_LIMITS } from "../../../services/key-input-rules.js";
import type { IdentityRecord } from "../../../store/identity-store.js";
import { principalOf } from "../../auth.js";
import { LIMITS, Meta } from "../../schemas.js";
import { compact, type UnkeyPagination, unkeyOk } from "../envelope.js";
import { presentUnkeyRatelimits, UnkeyRatelimit } from "../key-presenter.js";
import type { UnkeyRoute } from "../register.js";

/*
 * Unkey's identities as an adapter over IdentityService: an identity groups the keys whose externalId (Keyward's
 * ownerId) is its own, in every project; its meta comes with their verifications and its rate limits are shared
 * by all of them.
 */

const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const IDENTITY_ID = "id_Xq0T8cVb2LmN7pQr";

const ExternalId = Type.String({
  minLength: 1,
  maxLength: MAX_EXTERNAL_ID_LENGTH,
  description: "Your id of the user or organization: the externalId of its keys. Unique in the instance.",
});

const IdentityRef = Type.String({
  minLength: 1,
  maxLength: MAX_EXTERNAL_ID_LENGTH,
  description: "The identity's id (`id_…`) or its externalId.",
});

const Ratelimits = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 64 }),
      limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT_AMOUNT }),
      duration: Type.Integer({ minimum: 1, description: "The window in milliseconds." }),
      autoApply: Type.Optional(
        Type.Boolean({
          description:
            "Accepted either way: Keyward applies an identity's limits to every verification of its keys.",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  {
    maxItems: MAX_RATE_LIMITS,
    description:
      "Rate limits shared by every key of the identity (one count per identity and name); a key's own limit of " +
      "the same name applies instead.",
  },
);

/** Unkey's `Identity`. */
const UnkeyIdentityData = Type.Object({
  id: Type.String(),
  externalId: Type.String(),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  ratelimits: Type.Optional(Type.Array(UnkeyRatelimit)),
});

const IDENTITY_EXAMPLE: Static<typeof UnkeyIdentityData> = {
  id: IDENTITY_ID,
  externalId: "user_123",
  meta: { plan: "enterprise" },
  ratelimits: [
    { id: "rl_8cVb2LmN7pQrXq0T", name: "requests", limit: 1_000, duration: 60_000, autoApply: true },
  ],
};

const Meta0 = Type.Object({ requestId: Type.String() });

/** Unkey's success envelope around `data`, with an example of the whole body. */
function envelope<T extends TSchema>(data: T, example: unknown) {
  return Type.Object(
    { meta: Meta0, data },
    { examples: [{ meta: { requestId: REQUEST_ID }, data: example }] },
  );
}

function toRateLimits(ratelimits: Static<typeof Ratelimits>): RateLimitRule[] {
  return ratelimits.map((r) => ({ name: r.name, limit: r.limit, windowMs: r.duration }));
}

/** An identity as Unkey's `Identity`; meta and ratelimits are left out when empty. */
function presentIdentity(identity: IdentityRecord): Static<typeof UnkeyIdentityData> {
  return compact({
    id: identity.id,
    externalId: identity.externalId,
    meta: Object.keys(identity.meta).length === 0 ? undefined : identity.meta,
    ratelimits: identity.rateLimits.length === 0 ? undefined : presentUnkeyRatelimits(identity),
  }) as Static<typeof UnkeyIdentityData>;
}

/** Awaits a service call; its field errors point at Unkey's request fields (`ratelimits/0/duration`). */
async function inUnkeyTerms<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof KeywardError) || error.errors === undefined) throw error;
    throw new KeywardError(error.code, error.message, {
      cause: error,
      retryable: error.retryable,
      errors: error.errors.map((e) => ({
        ...e,
        pointer: e.pointer.replace(/^\/rateLimits/, "/ratelimits").replace(/\/windowMs$/, "/duration"),
      })),
    });
  }
}

/** POST /v2/identities.createIdentity */
const registerCreateIdentity: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/identities.createIdentity",
    {
      config: { permission: "identities:write" },
      schema: {
        tags: ["unkey"],
        summary: "Create an identity (Unkey v2)",
        description:
          "Needs `identities:write` and a token not limited to projects (identities are instance-wide). Keys whose " +
          "externalId is `externalId`, in any project, belong to it: its `meta` is returned by their " +
          "verifications and its `ratelimits` are shared by all of them. 409 when the externalId has an identity. " +
          "The id is derived from the externalId, so keys created before show it already.",
        body: Type.Object(
          { externalId: ExternalId, meta: Type.Optional(Meta), ratelimits: Type.Optional(Ratelimits) },
          {
            additionalProperties: false,
            examples: [
              {
                externalId: "user_123",
                meta: { plan: "enterprise" },
                ratelimits: [{ name: "requests", limit: 1_000, duration: 60_000, autoApply: true }],
              },
            ],
          },
        ),
        response: {
          200: envelope(Type.Object({ identityId: Type.String() }), { identityId: IDENTITY_ID }),
        },
      },
    },
    async (request) => {
      const { externalId, meta, ratelimits } = request.body;
      const identity = await inUnkeyTerms(
        deps.identities.createIdentity(principalOf(request), {
          externalId,
          ...(meta === undefined ? {} : { meta }),
          ...(ratelimits === undefined ? {} : { rateLimits: toRateLimits(ratelimits) }),
        }),
      );
      return unkeyOk(request, { identityId: identity.id });
    },
  );
};

/** POST /v2/identities.getIdentity */
const registerGetIdentity: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/identities.getIdentity",
    {
      config: { permission: "identities:read" },
      schema: {
        tags: ["unkey"],
        summary: "Get an identity (Unkey v2)",
        description:
          "Needs `identities:read`. `identity` is the id or the externalId; 404 when neither matches.",
        body: Type.Object(
          { identity: IdentityRef },
          { additionalProperties: false, examples: [{ identity: "user_123" }, { identity: IDENTITY_ID }] },
        ),
        response: { 200: envelope(UnkeyIdentityData, IDENTITY_EXAMPLE) },
      },
    },
    async (request) => {
      const identity = await deps.identities.getIdentity(principalOf(request), request.body.identity);
      return unkeyOk(request, presentIdentity(identity));
    },
  );
};

/** POST /v2/identities.listIdentities */
const registerListIdentities: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/identities.listIdentities",
    {
      config: { permission: "identities:read" },
      schema: {
        tags: ["unkey"],
        summary: "List identities (Unkey v2)",
        description:
          "Needs `identities:read`. Identities in externalId order, `limit` (1-100, default 100) per page; " +
          "`search` keeps those whose id or externalId contains it, ignoring case. `pagination.cursor` is left " +
          "out on the last page.",
        body: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.cursorLength })),
            search: Type.Optional(Type.String({ maxLength: MAX_IDENTITY_SEARCH_LENGTH })),
          },
          { additionalProperties: false, examples: [{ limit: 50 }, { search: "acme" }] },
        ),
        response: {
          200: Type.Object(
            {
              meta: Meta0,
              data: Type.Array(UnkeyIdentityData),
              pagination: Type.Object({ hasMore: Type.Boolean(), cursor: Type.Optional(Type.String()) }),
            },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: [IDENTITY_EXAMPLE],
                  pagination: { hasMore: true, cursor: "dXNlcl8xMjM" },
                },
              ],
            },
          ),
        },
      },
    },
    async (request) => {
      const { limit, cursor, search } = request.body;
      const page = await deps.identities.listIdentities(principalOf(request), {
        limit: limit ?? 100,
        ...(cursor === undefined ? {} : { cursor }),
        ...(search === undefined ? {} : { search }),
      });
      const pagination: UnkeyPagination =
        page.nextCursor === null ? { hasMore: false } : { hasMore: true, cursor: page.nextCursor };
      return { ...unkeyOk(request, page.items.map(presentIdentity)), pagination };
    },
  );
};

/** POST /v2/identities.updateIdentity */
const registerUpdateIdentity: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/identities.updateIdentity",
    {
      config: { permission: "identities:write" },
      schema: {
        tags: ["unkey"],
        summary: "Update an identity (Unkey v2)",
        description:
          "Needs `identities:write` and a token not limited to projects. `meta` replaces the meta ({} clears " +
          "it), `ratelimits` the whole list ([] removes them); an absent field stays. Applies to the next " +
          "verification on every node.",
        body: Type.Object(
          { identity: IdentityRef, meta: Type.Optional(Meta), ratelimits: Type.Optional(Ratelimits) },
          {
            additionalProperties: false,
            examples: [
              {
                identity: "user_123",
                meta: { plan: "enterprise" },
                ratelimits: [{ name: "requests", limit: 2_000, duration: 60_000 }],
              },
            ],
          },
        ),
        response: { 200: envelope(UnkeyIdentityData, IDENTITY_EXAMPLE) },
      },
    },
    async (request) => {
      const { identity: ref, meta, ratelimits } = request.body;
      const identity = await inUnkeyTerms(
        deps.identities.updateIdentity(principalOf(request), ref, {
          ...(meta === undefined ? {} : { meta }),
          ...(ratelimits === undefined ? {} : { rateLimits: toRateLimits(ratelimits) }),
        }),
      );
      return unkeyOk(request, presentIdentity(identity));
    },
  );
};

/** POST /v2/identities.deleteIdentity */
const registerDeleteIdentity: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/identities.deleteIdentity",
    {
      // Unkey's client reads this route's errors from application/problem+json only.
      config: { permission: "identities:write", unkeyErrorContentType: "application/problem+json" },
      schema: {
        tags: ["unkey"],
        summary: "Delete an identity (Unkey v2)",
        description:
          "Needs `identities:write` and a token not limited to projects. Its keys stay (with their externalId) " +
          "and lose its meta and shared rate limits. 404 when no identity matches.",
        body: Type.Object(
          { identity: IdentityRef },
          { additionalProperties: false, examples: [{ identity: "user_123" }] },
        ),
        response: {
          200: Type.Object({ meta: Meta0 }, { examples: [{ meta: { requestId: REQUEST_ID } }] }),
        },
      },
    },
    async (request) => {
      await deps.identities.deleteIdentity(principalOf(request), request.body.identity);
      return { meta: { requestId: request.id } };
    },
  );
};

export const UNKEY_IDENTITY_ROUTES: readonly UnkeyRoute[] = [
  registerCreateIdentity,
  registerGetIdentity,
  registerListIdentities,
  registerUpdateIdentity,
  registerDeleteIdentity,
];
