import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentSession } from "../../../user-presenters.js";
import { SESSION_EXAMPLE, userRef } from "../../../user-schemas.js";

/** DELETE /v1/auth/sessions/{id}: ends one of the caller's sessions (another browser, a lost laptop's CLI). */
export function registerRevokeSession(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/auth/sessions/:id",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["auth"],
        summary: "End one of your sessions",
        description:
          "Any user's session; admin tokens get 403. Ends the session at once on every node; 404 for an id " +
          "that is not one of the caller's sessions. Ending an ended session returns it unchanged.",
        params: IdParams,
        response: {
          200: Type.Object(
            { session: userRef("Session") },
            {
              examples: [
                {
                  session: {
                    ...SESSION_EXAMPLE,
                    current: false,
                    revokedAt: "2026-11-28T10:00:00.000Z",
                  },
                },
              ],
            },
          ),
          ...problems(404),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const session = await deps.auth.revokeSession(principal, request.params.id);
      return { session: presentSession(session, principal.user?.sessionId ?? null) };
    },
  );
}
