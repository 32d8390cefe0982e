import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentUser } from "../../../user-presenters.js";
import { Email, ProjectIds, RoleName, UserName, userRef } from "../../../user-schemas.js";

/** PATCH /v1/users/{id}: renames a user, changes the email, or replaces the roles. */
export function registerUpdateUser(app: KeywardApp, deps: AppDependencies): void {
  app.patch(
    "/v1/users/:id",
    {
      config: { permission: "users:write" },
      schema: {
        tags: ["users"],
        summary: "Update a user",
        description:
          "Needs `users:write`. Absent fields stay. `role` (with `projectIds`, or instance-wide without) " +
          "replaces every role binding and, from a user's session, needs a second factor within the last 5 " +
          "minutes (403 STEP_UP_REQUIRED); `projectIds` without `role` is 400. Only an owner changes an owner " +
          "or grants the owner role (403). 409 when the new email is taken.",
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(UserName),
            email: Type.Optional(Email),
            role: Type.Optional(RoleName),
            projectIds: Type.Optional(ProjectIds),
          },
          {
            additionalProperties: false,
            examples: [{ role: "auditor", projectIds: null }, { name: "Ada King" }],
          },
        ),
        response: { 200: userRef("User"), ...problems(404, 409, 413, 415) },
      },
    },
    async (request) =>
      presentUser(await deps.users.updateUser(principalOf(request), request.params.id, request.body)),
  );
}
