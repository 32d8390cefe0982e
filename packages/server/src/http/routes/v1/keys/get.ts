import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { presentKey } from "../../../presenters.js";
import { problems, ref } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** GET /v1/keys/{id}: one key's record (never the key itself). */
export function registerGetKey(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/keys/:id",
    {
      config: { permission: "keys:read" },
      schema: {
        tags: ["keys"],
        summary: "Get a key",
        description: "Needs `keys:read`.",
        params: IdParams,
        response: { 200: ref("Key"), ...problems(404) },
      },
    },
    async (request) => presentKey(await deps.keys.getKey(principalOf(request), request.params.id)),
  );
}
