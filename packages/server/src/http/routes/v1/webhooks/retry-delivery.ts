import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { emptyBodyAsObject, problems } from "../../../route-kit.js";
import { LIMITS } from "../../../schemas.js";
import { presentDelivery } from "../../../webhook-presenters.js";
import { webhookRef } from "../../../webhook-schemas.js";

const DeliveryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "The webhook id." }),
  eventId: Type.String({ minLength: 1, maxLength: LIMITS.idLength, description: "The delivery's event id." }),
});

/** POST /v1/webhooks/{id}/deliveries/{eventId}/retry: sends a delivered or failed event again, now. */
export function registerRetryDelivery(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/webhooks/:id/deliveries/:eventId/retry",
    {
      config: { permission: "webhooks:write" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["webhooks"],
        summary: "Retry a delivery",
        description:
          "Needs `webhooks:write`. Makes the delivery pending again, due now, with a fresh retry window " +
          "(KEYWARD_WEBHOOK_RETRY_HOURS, 24 by default); a delivery still pending is returned as it is. The event " +
          "keeps its id, so receivers can de-duplicate.",
        params: DeliveryParams,
        response: { 200: webhookRef("Delivery"), ...problems(404) },
      },
    },
    async (request) =>
      presentDelivery(
        await deps.webhooks.retryDelivery(principalOf(request), request.params.id, request.params.eventId),
      ),
  );
}
