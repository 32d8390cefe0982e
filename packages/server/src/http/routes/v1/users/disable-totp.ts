import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";

/** DELETE /v1/users/me/totp: turns the caller's two-factor authentication off (step-up required). */
export function registerDisableTotp(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/users/me/totp",
    {
      config: { permission: SELF, stepUp: true },
      schema: {
        tags: ["users"],
        summary: "Disable two-factor authentication",
        description:
          "Any user's session, with a second factor presented within the last 5 minutes (403 STEP_UP_REQUIRED " +
          "otherwise: POST /v1/auth/step-up first); admin tokens get 403. Removes the TOTP secret and the " +
          "recovery codes. 404 when two-factor authentication is not on. Where the instance requires 2FA, the " +
          "user can then only enrol again.",
        response: { 204: Type.Null({ description: "Disabled; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.auth.disableTotp(principalOf(request));
      return reply.status(204).send(null);
    },
  );
}
