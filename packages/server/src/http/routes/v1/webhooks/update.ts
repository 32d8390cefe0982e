import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentWebhook } from "../../../webhook-presenters.js";
import { WebhookDescription, WebhookEvents, WebhookUrl, webhookRef } from "../../../webhook-schemas.js";

/** PATCH /v1/webhooks/{id}: changes a webhook's endpoint, events, description or state. */
export function registerUpdateWebhook(app: KeywardApp, deps: AppDependencies): void {
  app.patch(
    "/v1/webhooks/:id",
    {
      config: { permission: "webhooks:write" },
      schema: {
        tags: ["webhooks"],
        summary: "Update a webhook",
        description:
          "Needs `webhooks:write`. Absent fields stay as they are; `events` is replaced whole. A disabled webhook " +
          "receives no new events and its queued deliveries wait until it is enabled again. The secret cannot " +
          "be changed: create a new webhook instead.",
        params: IdParams,
        body: Type.Object(
          {
            url: Type.Optional(WebhookUrl),
            events: Type.Optional(WebhookEvents),
            description: Type.Optional(WebhookDescription),
            enabled: Type.Optional(Type.Boolean()),
          },
          {
            additionalProperties: false,
            examples: [{ enabled: false }, { events: ["*"], url: "https://hooks.example.com/v2/keyward" }],
          },
        ),
        response: { 200: webhookRef("Webhook"), ...problems(404, 413, 415) },
      },
    },
    async (request) =>
      presentWebhook(
        await deps.webhooks.updateWebhook(principalOf(request), request.params.id, request.body),
      ),
  );
}
