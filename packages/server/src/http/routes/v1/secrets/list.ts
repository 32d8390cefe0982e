import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { LIMITS, PageQuery, pageOf } from "../../../schemas.js";
import { presentSecret } from "../../../secret-presenters.js";
import { SECRET_EXAMPLE, secretRef } from "../../../secret-schemas.js";

/** GET /v1/secrets: secrets' metadata in creation order, optionally of one project. */
export function registerListSecrets(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/secrets",
    {
      config: { permission: "secrets:read" },
      schema: {
        tags: ["secrets"],
        summary: "List secrets",
        description:
          "Needs `secrets:read`. Metadata only, never values. Ordered by creation; follow `nextCursor` for the " +
          "next page.",
        querystring: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(secretRef("Secret"), SECRET_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.secrets.listSecrets(principalOf(request), request.query);
      return { items: page.items.map(presentSecret), nextCursor: page.nextCursor };
    },
  );
}
