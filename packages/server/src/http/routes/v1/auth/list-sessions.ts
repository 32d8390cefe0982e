import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf, SELF } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { presentSession } from "../../../user-presenters.js";
import { SESSION_EXAMPLE, userRef } from "../../../user-schemas.js";

/** GET /v1/auth/sessions: the caller's sessions, the current one marked. */
export function registerListSessions(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/auth/sessions",
    {
      config: { permission: SELF, allowWithout2fa: true },
      schema: {
        tags: ["auth"],
        summary: "List your sessions",
        description:
          "Any user's session; admin tokens get 403. Every session of the caller's account, newest first, " +
          "ended ones included (until they are pruned); `current` marks the one making this request. Never a " +
          "session's secret.",
        response: {
          200: Type.Object(
            { items: Type.Array(userRef("Session")) },
            {
              examples: [
                {
                  items: [
                    SESSION_EXAMPLE,
                    {
                      ...SESSION_EXAMPLE,
                      id: "ses_0Vg3fS3n2Lq9Pz3RtYu4Zz",
                      kind: "cli",
                      current: false,
                      userAgent: "keyward-cli/1.0",
                    },
                  ],
                },
              ],
            },
          ),
          ...problems(),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const sessions = await deps.auth.listSessions(principal);
      const current = principal.user?.sessionId ?? null;
      return { items: sessions.map((session) => presentSession(session, current)) };
    },
  );
}
