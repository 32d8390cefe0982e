import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentUser } from "../../../user-presenters.js";
import { userRef } from "../../../user-schemas.js";

/** GET /v1/users/{id}: one admin user. */
export function registerGetUser(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/users/:id",
    {
      config: { permission: "users:read" },
      schema: {
        tags: ["users"],
        summary: "Get a user",
        description:
          "Needs `users:read`. 404 for a user not bound in any project the caller is limited to. Your own " +
          "account, without `users:read`, is GET /v1/users/me.",
        params: IdParams,
        response: { 200: userRef("User"), ...problems(404) },
      },
    },
    async (request) => presentUser(await deps.users.getUser(principalOf(request), request.params.id)),
  );
}
