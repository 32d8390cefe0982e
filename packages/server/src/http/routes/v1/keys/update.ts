import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { parseTimestamp, presentKey } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import {
  IdParams,
  IpAllowlistInput,
  KeyRoles,
  LIMITS,
  Meta,
  nullableString,
  QuotaInput,
  RateLimitRules,
  Scopes,
} from "../../../schemas.js";

/** PATCH /v1/keys/{id}: changes a key; this node's next verification sees the change. */
export function registerUpdateKey(app: KeywardApp, deps: AppDependencies): void {
  app.patch(
    "/v1/keys/:id",
    {
      config: { permission: "keys:update" },
      schema: {
        tags: ["keys"],
        summary: "Update a key",
        description:
          "Needs `keys:update`. Absent fields stay as they are; `scopes`, `roles` and `meta` are replaced whole. An " +
          "`expiresAt` in the past expires the key now. A revoked key cannot be changed (409). An `expiresAt` " +
          "beyond the project's `maxLifetime` (counted from the key's creation), or `null` when the project has " +
          "one, is refused with 422 POLICY_VIOLATION. `rateLimits` and `ipAllowlist` are replaced whole " +
          "(`ipAllowlist: null` falls back to the project's list); a `quota` replaces the balance (use POST " +
          "/v1/keys/{id}/quota to add to or take from it) and `quota: null` removes it.",
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(nullableString({ maxLength: LIMITS.nameLength })),
            ownerId: Type.Optional(nullableString({ maxLength: LIMITS.ownerIdLength })),
            scopes: Type.Optional(Scopes),
            roles: Type.Optional(KeyRoles),
            meta: Type.Optional(Meta),
            expiresAt: Type.Optional(nullableString({ format: "date-time", maxLength: 40 })),
            enabled: Type.Optional(Type.Boolean()),
            rateLimits: Type.Optional(RateLimitRules),
            quota: Type.Optional(QuotaInput),
            ipAllowlist: Type.Optional(IpAllowlistInput("Who may use the key; null: the project's list.")),
          },
          {
            additionalProperties: false,
            examples: [
              { enabled: false },
              { scopes: ["orders:read"], roles: ["editor"] },
              { rateLimits: [{ name: "requests", limit: 10, windowMs: 1_000 }], quota: null },
              { quota: { remaining: 500, refill: { amount: 500, interval: "day" } }, ipAllowlist: null },
            ],
          },
        ),
        response: { 200: ref("Key"), ...problems(404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const { expiresAt, ...rest } = request.body;
      const updated = await deps.keys.updateKey(principalOf(request), request.params.id, {
        ...rest,
        ...(expiresAt === undefined ? {} : { expiresAt: parseTimestamp(expiresAt, "/expiresAt") ?? null }),
      });
      return presentKey(updated);
    },
  );
}
