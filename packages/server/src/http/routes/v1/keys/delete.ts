import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** DELETE /v1/keys/{id}: erases a key's record for good (revocation keeps it; this does not). */
export function registerDeleteKey(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/keys/:id",
    {
      config: { permission: "keys:revoke" },
      schema: {
        tags: ["keys"],
        summary: "Erase a key",
        description:
          "Needs `keys:revoke`. Irreversible. Erases the key's record (and its usage counters, quota balance, " +
          "notices and sealed copy): it verifies as NOT_FOUND on every node within a second, and GET, PATCH and " +
          "revoke answer 404. Its audit entries, alerts and project usage history stay; a key rotated from or to " +
          "it keeps its record without the link. Emits key.deleted. To stop a key while keeping its record, " +
          "revoke it instead (POST /v1/keys/{id}/revoke).",
        params: IdParams,
        response: { 204: Type.Null({ description: "Erased; no body." }), ...problems(404) },
      },
    },
    async (request, reply) => {
      await deps.keys.deleteKey(principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
