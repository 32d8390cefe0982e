import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { parseTimestamp, presentKey } from "../../../presenters.js";
import { emptyBodyAsObject, problems } from "../../../route-kit.js";
import {
  IpAllowlistInput,
  KEY_EXAMPLE,
  KeyRoles,
  KeySchema,
  LIMITS,
  Meta,
  nullableString,
  QuotaInput,
  RateLimitRules,
  Scopes,
} from "../../../schemas.js";

const CreatedKey = Type.Object(
  {
    key: Type.String({ description: "The plaintext key. Shown once: Keyward keeps only a digest." }),
    ...KeySchema.properties,
  },
  {
    examples: [
      {
        key: "kw_3Fh9xq0T8cVb2LmN7pQr5sKd1Wz4Ye6uJa9Hg0Bf3Cx7Mv0tO2iZ1r4Ag5",
        ...KEY_EXAMPLE,
      },
    ],
  },
);

/** POST /v1/keys: issues a key and returns its plaintext once. */
export function registerCreateKey(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys",
    {
      config: { permission: "keys:create" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["keys"],
        summary: "Create a key",
        description:
          "Needs `keys:create`. Returns the plaintext key once; store it now. Without `projectId` the key goes to " +
          "the default project. When the project sets a `maxLifetime`, a key created without `expiresAt` expires " +
          "at its creation plus that lifetime, and asking for a later expiry (or for `null`, never) is refused with " +
          "422 POLICY_VIOLATION. `rateLimits`, `quota` and `ipAllowlist` are checked on every verification; a " +
          "refilling quota starts in the current period (refilledAt), refilling in the project's `timezone`. A " +
          "`canary` key (honeytoken) never verifies, answering NOT_FOUND like an unknown key, and any use of it " +
          "raises a `canary` alert; it cannot be rotated.",
        body: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            name: Type.Optional(nullableString({ maxLength: LIMITS.nameLength })),
            ownerId: Type.Optional(nullableString({ maxLength: LIMITS.ownerIdLength })),
            scopes: Type.Optional(Scopes),
            roles: Type.Optional(KeyRoles),
            meta: Type.Optional(Meta),
            expiresAt: Type.Optional(
              nullableString({
                format: "date-time",
                maxLength: 40,
                description:
                  "When the key stops verifying (must be in the future), or null for never. Absent: never, or the " +
                  "project's maxLifetime from now.",
              }),
            ),
            enabled: Type.Optional(Type.Boolean({ default: true })),
            rateLimits: Type.Optional(RateLimitRules),
            quota: Type.Optional(QuotaInput),
            ipAllowlist: Type.Optional(
              IpAllowlistInput("Who may use the key; null or absent: the project's list."),
            ),
            canary: Type.Optional(
              Type.Boolean({
                default: false,
                description: "A honeytoken that alerts on any use; never valid.",
              }),
            ),
          },
          {
            additionalProperties: false,
            examples: [
              {
                name: "acme production",
                ownerId: "customer_42",
                scopes: ["orders:read", "orders:write"],
                roles: ["editor"],
                meta: { plan: "pro" },
                expiresAt: "2027-11-28T00:00:00Z",
              },
              {
                ownerId: "customer_42",
                rateLimits: [
                  { name: "requests", limit: 100, windowMs: 60_000 },
                  { name: "tokens", limit: 50_000, windowMs: 86_400_000 },
                ],
                quota: { remaining: 10_000, refill: { amount: 10_000, interval: "month" } },
                ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
              },
              { name: "honeytoken in the staging .env", canary: true },
            ],
          },
        ),
        response: { 201: CreatedKey, ...problems(404, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...rest } = request.body;
      const created = await deps.keys.createKey(principalOf(request), {
        ...rest,
        ...(expiresAt === undefined ? {} : { expiresAt: parseTimestamp(expiresAt, "/expiresAt") ?? null }),
      });
      return reply.status(201).send({ key: created.key, ...presentKey(created.record) });
    },
  );
}
