import { Type } from "typebox";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";

/** DELETE /v1/projects/{id}: deletes a project and revokes its keys. */
export function registerDeleteProject(app: KeywardApp, deps: AppDependencies): void {
  app.delete(
    "/v1/projects/:id",
    {
      // Bulk revocation, as POST /v1/keys/revoke: a session needs a recent second factor.
      config: { permission: "projects:write", stepUp: true },
      schema: {
        tags: ["projects"],
        summary: "Delete a project",
        description:
          "Needs `projects:write` and `keys:revoke`; from a user's session also a second factor within the last 5 " +
          "minutes (403 STEP_UP_REQUIRED: POST /v1/auth/step-up first). Irreversible. The project disappears from " +
          "every read (GET answers 404, lists leave it out, no key can be created in it) and its keys stop " +
          "verifying (NOT_FOUND) on every node within a second; then each of its keys is revoked with reason " +
          "`project deleted` (each emits key.revoked). The record stays for the audit trail, as do its keys, " +
          "audit entries and usage history; recoverable copies of its keys are erased. The default project " +
          "cannot be deleted (409).",
        params: IdParams,
        response: {
          200: Type.Object(
            { revoked: Type.Integer({ minimum: 0, description: "How many of its keys were revoked." }) },
            { examples: [{ revoked: 42 }] },
          ),
          ...problems(404, 409),
        },
      },
    },
    async (request) => deps.keys.deleteProject(principalOf(request), request.params.id),
  );
}
