import { Type } from "typebox";
import { MAX_IMPORTED_KEYS, MIGRATION_ID_PATTERN } from "../../../../services/key-import-types.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { parseTimestamp } from "../../../presenters.js";
import { problems } from "../../../route-kit.js";
import {
  IpAllowlistInput,
  LIMITS,
  Meta,
  nullableString,
  QuotaInput,
  RateLimitRules,
  Scopes,
} from "../../../schemas.js";

const HASH_HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const HASH_BASE64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

const ImportedKey = Type.Object(
  {
    hash: Type.String({
      minLength: 1,
      maxLength: 128,
      description:
        "SHA-256 of the key's plaintext: 64 hex digits, or base64/base64url (43 characters, or 44 with `=`).",
    }),
    prefix: Type.Optional(
      Type.String({
        maxLength: 20,
        description: "Shown as the key's `start` (`prefix_`); else it is empty.",
      }),
    ),
    name: Type.Optional(nullableString({ maxLength: LIMITS.nameLength })),
    ownerId: Type.Optional(nullableString({ maxLength: LIMITS.ownerIdLength })),
    scopes: Type.Optional(Scopes),
    meta: Type.Optional(Meta),
    expiresAt: Type.Optional(nullableString({ format: "date-time", maxLength: 40 })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    rateLimits: Type.Optional(RateLimitRules),
    quota: Type.Optional(QuotaInput),
    ipAllowlist: Type.Optional(IpAllowlistInput("Who may use the key; null or absent: the project's list.")),
  },
  { additionalProperties: false },
);

const ImportResult = Type.Object(
  {
    migrated: Type.Array(Type.Object({ hash: Type.String(), keyId: Type.String() })),
    failed: Type.Array(Type.Object({ hash: Type.String(), reason: Type.String() })),
  },
  {
    examples: [
      {
        migrated: [{ hash: HASH_HEX, keyId: "key_0Vg3dQ1n2Lq9Pz3RtYu4Ab" }],
        failed: [{ hash: HASH_BASE64, reason: "a key with this hash exists already" }],
      },
    ],
  },
);

/** POST /v1/keys/import: keys from another system by the SHA-256 of their plaintexts (keys.migrateKeys). */
export function registerImportKeys(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/import",
    {
      config: { permission: "keys:create" },
      schema: {
        tags: ["keys"],
        summary: "Import keys by their SHA-256",
        description:
          "Needs `keys:create`. Imports up to 1000 keys into project `projectId` in one transaction, each by the " +
          "SHA-256 of its plaintext, under `migrationId`: they verify with their original plaintexts, and the " +
          "first verification re-digests each under the pepper. Fields are those of POST /v1/keys; any invalid " +
          "one is a 400 (`/keys/<i>/...`) and imports nothing. A hash that is not a SHA-256, or that some key has " +
          "already, is listed in `failed` with the reason, and the others are imported.",
        body: Type.Object(
          {
            projectId: Type.String({ minLength: 1, maxLength: LIMITS.idLength }),
            migrationId: Type.String({ minLength: 1, maxLength: 128, pattern: MIGRATION_ID_PATTERN }),
            keys: Type.Array(ImportedKey, { minItems: 1, maxItems: MAX_IMPORTED_KEYS }),
          },
          {
            additionalProperties: false,
            examples: [
              {
                projectId: "proj_0Vg3dQ1n2Lq9Pz3RtYu4Ab",
                migrationId: "acme_unkey_export",
                keys: [
                  { hash: HASH_HEX, ownerId: "customer_42", scopes: ["orders:read"], meta: { plan: "pro" } },
                  { hash: HASH_BASE64, prefix: "acme", quota: { remaining: 1_000 } },
                ],
              },
            ],
          },
        ),
        response: { 200: ImportResult, ...problems(404, 413, 415, 422) },
      },
    },
    async (request) => {
      const { projectId, migrationId, keys } = request.body;
      return deps.keys.importKeys(principalOf(request), {
        projectId,
        migrationId,
        keys: keys.map(({ expiresAt, ...rest }, index) => ({
          ...rest,
          ...(expiresAt === undefined
            ? {}
            : { expiresAt: parseTimestamp(expiresAt, `/keys/${index}/expiresAt`) ?? null }),
        })),
      });
    },
  );
}
