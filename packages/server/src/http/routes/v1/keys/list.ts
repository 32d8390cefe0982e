import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentKey } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { KEY_EXAMPLE, LIMITS, PageQuery, pageOf } from "../../../schemas.js";

/** GET /v1/keys: keys in creation order, filtered by project and owner. */
export function registerListKeys(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/keys",
    {
      config: { permission: "keys:read" },
      schema: {
        tags: ["keys"],
        summary: "List keys",
        description: "Needs `keys:read`. Ordered by creation; follow `nextCursor` for the next page.",
        querystring: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.ownerIdLength })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(ref("Key"), KEY_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.keys.listKeys(principalOf(request), request.query);
      return { items: page.items.map(presentKey), nextCursor: page.nextCursor };
    },
  );
}
