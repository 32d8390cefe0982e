import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams, PageQuery, pageOf } from "../../../schemas.js";
import { presentDelivery } from "../../../webhook-presenters.js";
import { DELIVERY_EXAMPLE, DeliveryStatusSchema, webhookRef } from "../../../webhook-schemas.js";

/** GET /v1/webhooks/{id}/deliveries: a webhook's deliveries, newest event first, with every attempt. */
export function registerListDeliveries(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/webhooks/:id/deliveries",
    {
      config: { permission: "webhooks:read" },
      schema: {
        tags: ["webhooks"],
        summary: "List a webhook's deliveries",
        description:
          "Needs `webhooks:read`. Newest event first; follow `nextCursor` for older ones. Each delivery carries " +
          "its attempts with the receiver's status code, so a failing endpoint can be diagnosed.",
        params: IdParams,
        querystring: Type.Object(
          { status: Type.Optional(DeliveryStatusSchema), ...PageQuery },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(webhookRef("Delivery"), DELIVERY_EXAMPLE), ...problems(404) },
      },
    },
    async (request) => {
      const page = await deps.webhooks.listDeliveries(principalOf(request), request.params.id, request.query);
      return { items: page.items.map(presentDelivery), nextCursor: page.nextCursor };
    },
  );
}
