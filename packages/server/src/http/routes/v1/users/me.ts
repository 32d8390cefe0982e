import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { presentUser } from "../../../user-presenters.js";
import { userRef } from "../../../user-schemas.js";

/** GET /v1/users/me: the caller's own account. */
export function registerGetMe(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/users/me",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["users"],
        summary: "Get your account",
        description:
          "Any user's session, whatever its role (no `users:read` needed); admin tokens get 403, having no " +
          "account. Shows the roles and whether two-factor authentication is on.",
        response: { 200: userRef("User"), ...problems() },
      },
    },
    async (request) => presentUser(await deps.users.me(principalOf(request))),
  );
}
