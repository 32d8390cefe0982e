import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { sessionCookie } from "./session-cookie.js";

/** POST /v1/auth/logout: ends the caller's session and clears its cookie. */
export function registerLogout(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/auth/logout",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["auth"],
        summary: "Log out",
        description:
          "Any user's session (cookie or CLI bearer); admin tokens get 403 (revoke them with POST " +
          "/v1/tokens/{id}/revoke). Ends the session at once on every node and clears the cookie.",
        response: { 204: Type.Null({ description: "Logged out; no body." }), ...problems() },
      },
    },
    async (request, reply) => {
      await deps.auth.logout(principalOf(request));
      return reply.status(204).header("set-cookie", sessionCookie("", 0)).send(null);
    },
  );
}
