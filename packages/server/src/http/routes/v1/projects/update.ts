import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentProject } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import {
  IdParams,
  IpAllowlistInput,
  LIMITS,
  nullableString,
  POLICY_DESCRIPTIONS,
  REQUIRE_2FA_DESCRIPTION,
} from "../../../schemas.js";

const policy = (description: string) =>
  Type.Optional(nullableString({ maxLength: 40, description: `${description} null removes it.` }));

/** PATCH /v1/projects/{id}: renames a project or sets and removes its key policies. */
export function registerUpdateProject(app: KeywardApp, deps: AppDependencies): void {
  app.patch(
    "/v1/projects/:id",
    {
      config: { permission: "projects:write" },
      schema: {
        tags: ["projects"],
        summary: "Update a project",
        description:
          "Needs `projects:write`. Absent fields stay as they are. Each policy is an ISO 8601 duration such as " +
          "P90D or PT12H (whole numbers; years and months follow the calendar); `null` removes it and absent " +
          "leaves it. Every policy given is checked before anything changes. A new `maxLifetime` applies to " +
          "keys created or changed from now on; existing keys keep their expiry. `ipAllowlist` is the default " +
          "allowlist of keys without their own (null removes it); `timezone` (an IANA zone such as Europe/Paris) " +
          "is where quotas refill at midnight. `recoverableKeys` keeps a sealed copy of each key issued from now " +
          "on, readable with `keys:reveal`; turning it off deletes the copies kept (see docs/secrets.md). " +
          "`require2fa` makes two-factor authentication a condition of every user role in the project (see " +
          "docs/accounts.md).",
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameLength })),
            policies: Type.Optional(
              Type.Object(
                {
                  maxLifetime: policy(POLICY_DESCRIPTIONS.maxLifetime),
                  rotationPeriod: policy(POLICY_DESCRIPTIONS.rotationPeriod),
                  inactivityRevocation: policy(POLICY_DESCRIPTIONS.inactivityRevocation),
                  expiryNotice: policy(POLICY_DESCRIPTIONS.expiryNotice),
                },
                { additionalProperties: false },
              ),
            ),
            ipAllowlist: Type.Optional(
              IpAllowlistInput("Default allowlist of the project's keys; null: none."),
            ),
            timezone: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: LIMITS.timezoneLength,
                description: "IANA time zone of quota refills, such as UTC or America/New_York.",
              }),
            ),
            recoverableKeys: Type.Optional(
              Type.Boolean({
                description: "Keep a sealed copy of each new key for POST /v1/keys/{id}/reveal.",
              }),
            ),
            require2fa: Type.Optional(Type.Boolean({ description: REQUIRE_2FA_DESCRIPTION })),
          },
          {
            additionalProperties: false,
            examples: [
              { ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"], timezone: "Europe/Paris" },
              { policies: { maxLifetime: "P1Y", rotationPeriod: "P90D", expiryNotice: "P14D" } },
              { policies: { inactivityRevocation: "P180D", rotationPeriod: null } },
              { name: "billing-api-v2" },
              { recoverableKeys: true },
              { require2fa: true },
            ],
          },
        ),
        response: { 200: ref("Project"), ...problems(404, 413, 415) },
      },
    },
    async (request) =>
      presentProject(
        await deps.projects.updateProject(principalOf(request), request.params.id, request.body),
      ),
  );
}
