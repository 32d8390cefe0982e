import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { presentUser } from "../../../user-presenters.js";
import { Email, ProjectIds, RoleName, UserName, userRef } from "../../../user-schemas.js";

/** POST /v1/users: creates an admin user with a password and one role. */
export function registerCreateUser(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/users",
    {
      config: { permission: "users:write" },
      schema: {
        tags: ["users"],
        summary: "Create a user",
        description:
          "Needs `users:write`; from a user's session also a second factor within the last 5 minutes (403 " +
          "STEP_UP_REQUIRED). Only an owner grants the owner role (403 otherwise); a caller limited to some " +
          "projects binds roles in those projects only. The password follows NIST SP 800-63B: 15 to 128 " +
          "characters (the user has no second factor yet), any characters, not a common or breached password, " +
          "not the email or name (400 VALIDATION_ERROR naming the rule). 409 when the email is taken.",
        body: Type.Object(
          {
            email: Email,
            name: UserName,
            // The password policy states and checks the real bounds (and says which rule failed).
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            role: RoleName,
            projectIds: Type.Optional(ProjectIds),
          },
          {
            additionalProperties: false,
            examples: [
              {
                email: "ada@example.com",
                name: "Ada Lovelace",
                password: "velvet orbit lantern quietly",
                role: "developer",
                projectIds: ["proj_0Vg3aZk2Ww1Lq9Pz3RtYu4"],
              },
            ],
          },
        ),
        response: { 201: userRef("User"), ...problems(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const user = await deps.users.createUser(principalOf(request), request.body);
      return reply.status(201).send(presentUser(user));
    },
  );
}
