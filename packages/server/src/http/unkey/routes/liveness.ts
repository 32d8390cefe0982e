import { Type } from "typebox";
import { unkeyOk } from "../envelope.js";
import type { UnkeyRoute } from "../register.js";

/** GET /v2/liveness: Unkey's health check, public. */
const registerLiveness: UnkeyRoute = (scope) => {
  scope.get(
    "/v2/liveness",
    {
      config: { permission: null },
      schema: {
        tags: ["unkey"],
        summary: "Liveness (Unkey v2)",
        description:
          'Unkey-compatible health check: `200 {meta, data: {message: "OK"}}` while the process runs.',
        response: {
          200: Type.Object(
            {
              meta: Type.Object({ requestId: Type.String() }),
              data: Type.Object({ message: Type.String() }),
            },
            { examples: [{ meta: { requestId: "req_0Vg3dQ1n2Lq9Pz3RtYu4Ab" }, data: { message: "OK" } }] },
          ),
        },
      },
    },
    async (request) => unkeyOk(request, { message: "OK" }),
  );
};

export const UNKEY_LIVENESS_ROUTES: readonly UnkeyRoute[] = [registerLiveness];
