import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentUser } from "../../../user-presenters.js";
import { userRef } from "../../../user-schemas.js";

/** DELETE /v1/users/{id}: removes a user with its roles, sessions and second factor. */
export function registerDeleteUser(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/users/:id",
    {
      config: { permission: "users:write" },
      schema: {
        tags: ["users"],
        summary: "Delete a user",
        description:
          "Needs `users:write`; from a user's session also a second factor within the last 5 minutes (403 " +
          "STEP_UP_REQUIRED). Ends the user's sessions at once. Only an owner removes an owner (403); nobody " +
          "removes their own account (409). Returns the deleted user.",
        params: IdParams,
        response: { 200: userRef("User"), ...problems(404, 409) },
      },
    },
    async (request) => presentUser(await deps.users.deleteUser(principalOf(request), request.params.id)),
  );
}
