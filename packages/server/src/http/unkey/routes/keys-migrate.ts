import { KEY_PREFIX_PATTERN } from "@keyward/core/key-format.js";
import { MAX_ROLES_PER_KEY } from "@keyward/core/key-roles.js";
import { invalidField } from "@keyward/core/keyward-error.js";
import { type Static, Type } from "typebox";
import {
  type ImportKeyInput,
  MAX_IMPORTED_KEYS,
  MIGRATION_ID_PATTERN,
} from "../../../services/key-import-types.js";
import type { QuotaInput } from "../../../services/key-service.js";
import { principalOf } from "../../auth.js";
import { LIMITS, Meta } from "../../schemas.js";
import { unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";
import {
  inUnkeyTerms,
  Permissions,
  Ratelimits,
  Refill,
  Remaining,
  toRateLimits,
  toRefill,
} from "./keys-write.js";

/*
 * Unkey's keys.migrateKeys over KeyService.importKeys: keys exported from Unkey (or any system that keeps the
 * SHA-256 of each key) keep verifying with their original plaintexts.
 */

const REQUEST_ID = "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const API_ID = "proj_0Vg3dQ1n2Lq9Pz3RtYu4Ab";
const HASH_BASE64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
const HASH_HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

const MigrateKey = Type.Object(
  {
    hash: Type.String({
      minLength: 1,
      maxLength: 128,
      description:
        "SHA-256 of the key's plaintext: 64 hex digits, or base64/base64url (43 characters, or 44 with `=`). " +
        "Anything else fails this key alone.",
    }),
    prefix: Type.Optional(
      Type.String({
        maxLength: 20,
        description:
          "Keyward extension (the Unkey clients do not send it): the key's prefix, shown as its `start` (`prefix_`); " +
          `${KEY_PREFIX_PATTERN}. Without it the start is empty until the key is rerolled.`,
      }),
    ),
    name: Type.Optional(Type.String({ maxLength: LIMITS.nameLength })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ownerIdLength })),
    meta: Type.Optional(Meta),
    roles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.scopeLength }), {
        maxItems: MAX_ROLES_PER_KEY,
        description:
          "Names (or ids) of existing roles, as in createKey; one that does not exist is a 400 and imports nothing.",
      }),
    ),
    permissions: Type.Optional(Permissions),
    expires: Type.Optional(
      Type.Integer({ minimum: 0, description: "Expiry in Unix milliseconds (in the future)." }),
    ),
    enabled: Type.Optional(Type.Boolean()),
    credits: Type.Optional(
      Type.Object(
        { remaining: Type.Union([Remaining, Type.Null()]), refill: Type.Optional(Refill) },
        { additionalProperties: false, description: "remaining null: unlimited." },
      ),
    ),
    ratelimits: Type.Optional(Ratelimits),
  },
  { additionalProperties: false },
);

const MigrateBody = Type.Object(
  {
    migrationId: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: MIGRATION_ID_PATTERN,
      description:
        "Names this migration (any id of yours: Keyward needs no provider set up). verifyKey's `migrationId` must " +
        "be one an import used.",
    }),
    apiId: Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "The project's id." }),
    keys: Type.Array(MigrateKey, { minItems: 1, maxItems: MAX_IMPORTED_KEYS }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        migrationId: "acme_unkey_export",
        apiId: API_ID,
        keys: [
          {
            hash: HASH_BASE64,
            externalId: "user_1",
            meta: { plan: "pro" },
            permissions: ["documents.read"],
            roles: ["editor"],
            credits: { remaining: 1_000, refill: { interval: "monthly", amount: 1_000 } },
          },
          { hash: HASH_HEX, name: "legacy", enabled: true },
        ],
      },
    ],
  },
);

const MigrateData = Type.Object({
  migrated: Type.Array(Type.Object({ hash: Type.String(), keyId: Type.String() }), {
    description: "Keys imported, with their hash as given and their new id.",
  }),
  failed: Type.Array(Type.String(), {
    description: "Hashes as given that were not imported: not a SHA-256 digest, or some key's already.",
  }),
});

/** One Unkey key of the request as the service takes it; field errors point into `/keys/<i>`. */
function toImportKey(key: Static<typeof MigrateKey>, index: number): ImportKeyInput {
  const credits = key.credits;
  if (credits?.remaining === null && credits.refill !== undefined) {
    throw invalidField(
      `/keys/${index}/credits/refill`,
      "needs a remaining balance: unlimited credits do not refill",
    );
  }
  const quota: QuotaInput | null =
    credits == null || credits.remaining === null
      ? null
      : {
          remaining: credits.remaining,
          refill:
            credits.refill === undefined ? null : toRefill(credits.refill, `/keys/${index}/credits/refill`),
        };
  return {
    hash: key.hash,
    ...(key.prefix === undefined ? {} : { prefix: key.prefix }),
    ...(key.name === undefined ? {} : { name: key.name }),
    ...(key.externalId === undefined ? {} : { ownerId: key.externalId }),
    ...(key.meta === undefined ? {} : { meta: key.meta }),
    ...(key.permissions === undefined ? {} : { scopes: key.permissions }),
    ...(key.roles === undefined ? {} : { roles: key.roles }),
    ...(key.expires === undefined ? {} : { expiresAt: key.expires }),
    ...(key.enabled === undefined ? {} : { enabled: key.enabled }),
    ...(quota === null ? {} : { quota }),
    ...(key.ratelimits === undefined ? {} : { rateLimits: toRateLimits(key.ratelimits) }),
  };
}

/** POST /v2/keys.migrateKeys */
const registerMigrateKeys: UnkeyRoute = (scope, deps) => {
  scope.post(
    "/v2/keys.migrateKeys",
    {
      config: { permission: "keys:create" },
      schema: {
        tags: ["unkey"],
        summary: "Migrate keys by their hashes (Unkey v2)",
        description:
          "Needs `keys:create`. Imports up to 1000 keys into project `apiId` by the SHA-256 of their plaintexts, " +
          "in one transaction; each keeps verifying with its original plaintext (verifyKey needs no " +
          "`migrationId`), and its first verification re-digests it under Keyward's pepper, after which the " +
          "SHA-256 is no longer stored. Fields map as in createKey; any invalid field is a 400 and imports " +
          "nothing. A hash that is not a SHA-256 (hex or base64) or that some key has already is listed in " +
          "`failed` and the others are imported (HTTP 200). Each imported key gets a key.created event and audit " +
          "entry. `roles` name existing roles (an unknown one is a 400 naming `keys/<i>/roles/<j>`).",
        body: MigrateBody,
        response: {
          200: Type.Object(
            { meta: Type.Object({ requestId: Type.String() }), data: MigrateData },
            {
              examples: [
                {
                  meta: { requestId: REQUEST_ID },
                  data: {
                    migrated: [{ hash: HASH_BASE64, keyId: "key_0Vg3dQ1n2Lq9Pz3RtYu4Ab" }],
                    failed: [HASH_HEX],
                  },
                },
              ],
            },
          ),
        },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof MigrateBody>;
      const principal = principalOf(request);
      const keys = body.keys.map(toImportKey);
      const project = await deps.projects.resolveProject(principal, body.apiId);
      const result = await inUnkeyTerms(
        deps.keys.importKeys(principal, { projectId: project.id, migrationId: body.migrationId, keys }),
      );
      return unkeyOk(request, { migrated: result.migrated, failed: result.failed.map((f) => f.hash) });
    },
  );
};

export const UNKEY_KEY_MIGRATE_ROUTES: readonly UnkeyRoute[] = [registerMigrateKeys];
