import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { LIMITS, PageQuery, pageOf } from "../../../schemas.js";
import { presentWebhook } from "../../../webhook-presenters.js";
import { WEBHOOK_EXAMPLE, webhookRef } from "../../../webhook-schemas.js";

/** GET /v1/webhooks: webhooks in creation order, optionally of one project. */
export function registerListWebhooks(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/webhooks",
    {
      config: { permission: "webhooks:read" },
      schema: {
        tags: ["webhooks"],
        summary: "List webhooks",
        description:
          "Needs `webhooks:read`. Ordered by creation; follow `nextCursor` for the next page. Never shows secrets.",
        querystring: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(webhookRef("Webhook"), WEBHOOK_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.webhooks.listWebhooks(principalOf(request), request.query);
      return { items: page.items.map(presentWebhook), nextCursor: page.nextCursor };
    },
  );
}
