import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";
import { presentWebhook } from "../../../webhook-presenters.js";
import {
  WEBHOOK_LIMITS,
  WEBHOOK_SECRET_EXAMPLE,
  WebhookDescription,
  WebhookEvents,
  WebhookUrl,
  webhookRef,
} from "../../../webhook-schemas.js";

/** POST /v1/webhooks: registers an endpoint for a project's key events and returns its signing secret once. */
export function registerCreateWebhook(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/webhooks",
    {
      config: { permission: "webhooks:write" },
      schema: {
        tags: ["webhooks"],
        summary: "Create a webhook",
        description:
          "Needs `webhooks:write`. Returns the signing secret once; store it now to verify the `webhook-signature` " +
          "of each delivery (Standard Webhooks). Without `projectId` the webhook watches the default project; " +
          "without `secret` one is generated.",
        body: Type.Object(
          {
            projectId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idLength })),
            url: WebhookUrl,
            events: WebhookEvents,
            description: Type.Optional(WebhookDescription),
            secret: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: WEBHOOK_LIMITS.secretLength,
                description: "A signing secret of your own: whsec_ followed by the base64 of 24 to 64 bytes.",
              }),
            ),
            enabled: Type.Optional(Type.Boolean({ default: true })),
          },
          {
            additionalProperties: false,
            examples: [
              {
                url: "https://hooks.example.com/keyward",
                events: ["key.rotated", "key.revoked", "key.expiring"],
                description: "key lifecycle to the billing service",
              },
              { url: "https://hooks.example.com/all", events: ["*"], secret: WEBHOOK_SECRET_EXAMPLE },
            ],
          },
        ),
        response: { 201: webhookRef("CreatedWebhook"), ...problems(404, 413, 415) },
      },
    },
    async (request, reply) => {
      const created = await deps.webhooks.createWebhook(principalOf(request), request.body);
      return reply.status(201).send({ secret: created.secret, ...presentWebhook(created.record) });
    },
  );
}
