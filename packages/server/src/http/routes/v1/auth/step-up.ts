import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { presentSession } from "../../../user-presenters.js";
import { SecondFactorCode, userRef } from "../../../user-schemas.js";

/** POST /v1/auth/step-up: a fresh second factor in the caller's session, for the actions that need one. */
export function registerStepUp(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/auth/step-up",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["auth"],
        summary: "Confirm with a second factor (step-up)",
        description:
          "Any user's session. Revealing a secret or a key, revoking keys in bulk, changing roles and users, " +
          "and disabling two-factor authentication need a second factor presented within the last 5 minutes " +
          "(403 STEP_UP_REQUIRED otherwise): send a TOTP code or a recovery code here, then repeat the request. " +
          "A wrong or already used code is 401 UNAUTHORIZED; attempts are limited like logins (429). 403 " +
          "TWO_FACTOR_REQUIRED when the user has no second factor yet.",
        body: Type.Object(
          { code: SecondFactorCode },
          { additionalProperties: false, examples: [{ code: "492039" }] },
        ),
        response: {
          200: Type.Object(
            { session: userRef("Session") },
            {
              examples: [
                {
                  session: {
                    id: "ses_0Vg3fS3n2Lq9Pz3RtYu4Ab",
                    kind: "browser",
                    createdAt: "2026-11-28T09:00:00.000Z",
                    lastSeenAt: "2026-11-28T09:40:00.000Z",
                    expiresAt: "2026-11-28T21:00:00.000Z",
                    secondFactorAt: "2026-11-28T09:41:00.000Z",
                    revokedAt: null,
                    sourceIp: "203.0.113.7",
                    userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
                    current: true,
                  },
                },
              ],
            },
          ),
          ...problems(413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const session = await deps.auth.stepUp(principal, request.body.code);
      return { session: presentSession(session, principal.user?.sessionId ?? null) };
    },
  );
}
