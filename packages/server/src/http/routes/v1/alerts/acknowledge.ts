import { presentAlertData } from "../../../../services/anomaly-alerts.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { emptyBodyAsObject, problems, ref } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** POST /v1/alerts/{id}/ack: acknowledges an alert; the storm's next occurrence raises a new one. */
export function registerAcknowledgeAlert(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/alerts/:id/ack",
    {
      config: { permission: "alerts:write" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["alerts"],
        summary: "Acknowledge an alert",
        description:
          "Needs `alerts:write`. Records when and by which token the alert was acknowledged; acknowledging again " +
          "returns the first acknowledgement unchanged. The next occurrence of the same storm raises a new alert.",
        params: IdParams,
        response: { 200: ref("Alert"), ...problems(404) },
      },
    },
    async (request) =>
      presentAlertData(await deps.alerts.acknowledgeAlert(principalOf(request), request.params.id)),
  );
}
