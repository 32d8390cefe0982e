import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../app.js";
import { problems } from "../route-kit.js";

const Status = Type.Object({ status: Type.String() }, { examples: [{ status: "ok" }] });

/** GET /healthz (the process answers) and GET /readyz (the store answers too). Public. */
export function registerHealth(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/healthz",
    {
      config: { permission: null },
      schema: { tags: ["health"], summary: "Liveness", security: [], response: { 200: Status } },
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      config: { permission: null },
      schema: {
        tags: ["health"],
        summary: "Readiness",
        description: "200 when the key store answers; 503 STORE_UNAVAILABLE otherwise.",
        security: [],
        response: { 200: Status, ...problems(503) },
      },
    },
    async () => {
      await deps.store.ping();
      return { status: "ready" };
    },
  );
}
