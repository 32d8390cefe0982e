import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentWebhook } from "../../../webhook-presenters.js";
import { webhookRef } from "../../../webhook-schemas.js";

/** GET /v1/webhooks/{id}: one webhook (never its secret). */
export function registerGetWebhook(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/webhooks/:id",
    {
      config: { permission: "webhooks:read" },
      schema: {
        tags: ["webhooks"],
        summary: "Get a webhook",
        description: "Needs `webhooks:read`. The signing secret is never shown again after creation.",
        params: IdParams,
        response: { 200: webhookRef("Webhook"), ...problems(404) },
      },
    },
    async (request) =>
      presentWebhook(await deps.webhooks.getWebhook(principalOf(request), request.params.id)),
  );
}
