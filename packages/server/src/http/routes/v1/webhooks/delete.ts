import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** DELETE /v1/webhooks/{id}: removes a webhook with its queued and past deliveries. */
export function registerDeleteWebhook(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/webhooks/:id",
    {
      config: { permission: "webhooks:write" },
      schema: {
        tags: ["webhooks"],
        summary: "Delete a webhook",
        description:
          "Needs `webhooks:write`. Irreversible: pending deliveries are dropped and the delivery history goes " +
          "with it.",
        params: IdParams,
        response: { 204: Type.Null({ description: "Deleted; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.webhooks.deleteWebhook(principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
