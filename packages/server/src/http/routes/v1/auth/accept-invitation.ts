import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { originOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";
import { presentUser } from "../../../user-presenters.js";
import { USER_EXAMPLE, UserName, userRef } from "../../../user-schemas.js";
import { INVITATION_TOKEN_EXAMPLE } from "../users/invite.js";

/** POST /v1/auth/accept-invitation: the invited person creates their account with the invitation's secret. */
export function registerAcceptInvitation(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/auth/accept-invitation",
    {
      config: { permission: null },
      schema: {
        tags: ["auth"],
        summary: "Accept an invitation",
        description:
          "Public: the invitation's secret is the credential. Creates the user the invitation names, with its " +
          "email and role and the `name` and `password` given, then log in with POST /v1/auth/login. An " +
          "unknown, expired or already accepted invitation gets one answer, 401 UNAUTHORIZED. The password " +
          "follows NIST SP 800-63B: 15 to 128 characters (no second factor yet), not a common or breached " +
          "password, not the invited email or the name (400 VALIDATION_ERROR naming the rule). Attempts count " +
          "against the source address like logins (429 TOO_MANY_LOGIN_ATTEMPTS with Retry-After). 409 when a " +
          "user with this email was created since the invitation.",
        body: Type.Object(
          {
            token: Type.String({
              minLength: 1,
              maxLength: LIMITS.keyLength,
              description: "The invitation's secret (`kwi_…`).",
            }),
            name: UserName,
            // The password policy states and checks the real bounds (and says which rule failed).
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          {
            additionalProperties: false,
            examples: [
              {
                token: INVITATION_TOKEN_EXAMPLE,
                name: "Grace Hopper",
                password: "velvet orbit lantern quietly",
              },
            ],
          },
        ),
        response: {
          201: Type.Object(
            { user: userRef("User") },
            {
              examples: [
                {
                  user: {
                    ...USER_EXAMPLE,
                    email: "grace@example.com",
                    name: "Grace Hopper",
                    twoFactorEnabled: false,
                  },
                },
              ],
            },
          ),
          ...problems(409, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { token, name, password } = request.body;
      const user = await deps.users.acceptInvitation({ token, name, password, origin: originOf(request) });
      return reply.status(201).send({ user: presentUser(user) });
    },
  );
}
