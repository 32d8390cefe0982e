import { Type } from "typebox";
import { presentAlertData } from "../../../../services/anomaly-alerts.js";
import { ALERT_EXAMPLE, AlertFilters } from "../../../alert-schemas.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems, ref } from "../../../route-kit.js";
import { PageQuery, pageOf } from "../../../schemas.js";

/** GET /v1/alerts: alerts in creation order, filtered by project, acknowledgement and type. */
export function registerListAlerts(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/alerts",
    {
      config: { permission: "alerts:read" },
      schema: {
        tags: ["alerts"],
        summary: "List alerts",
        description:
          "Needs `alerts:read`. Alerts of the projects the token can see, oldest first; follow `nextCursor` for " +
          "the next page. A `dead_key_used` alert means a revoked or expired key was presented; a `canary` alert " +
          "that a canary key (honeytoken) was; `spike` a key used far above its own baseline rate; `new_source` a " +
          "key with a history used from a network never seen for it; `brute_force` a source over the failed " +
          "verification limit. One storm is one alert: repeats within 10 quiet minutes are folded in.",
        querystring: Type.Object({ ...AlertFilters, ...PageQuery }, { additionalProperties: false }),
        response: { 200: pageOf(ref("Alert"), ALERT_EXAMPLE), ...problems() },
      },
    },
    async (request) => {
      const page = await deps.alerts.listAlerts(principalOf(request), request.query);
      return { items: page.items.map(presentAlertData), nextCursor: page.nextCursor };
    },
  );
}
