import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { PageQuery, pageOf } from "../../../schemas.js";
import { presentUser } from "../../../user-presenters.js";
import { USER_EXAMPLE, userRef } from "../../../user-schemas.js";

/** GET /v1/users: admin users in id order. */
export function registerListUsers(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/users",
    {
      config: { permission: "users:read" },
      schema: {
        tags: ["users"],
        summary: "List users",
        description:
          "Needs `users:read`. A caller limited to some projects sees the users bound in those projects. In " +
          "creation order; follow `nextCursor` for the next page.",
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: pageOf(userRef("User"), USER_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.users.listUsers(principalOf(request), request.query);
      return { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    },
  );
}
