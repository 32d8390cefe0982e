import type { AppDependencies, KeywardApp } from "../../../app.js";
import { presentCheckpointExport } from "../../../audit-presenters.js";
import { auditRef } from "../../../audit-schemas.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";

/** GET /v1/audit/checkpoints: every signed checkpoint and the public keys that verify them, to keep elsewhere. */
export function registerExportAuditCheckpoints(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/audit/checkpoints",
    {
      config: { permission: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "Export audit checkpoints",
        description:
          "Needs `audit:read` and a token that sees every project. Every checkpoint in seq order with the " +
          "Ed25519 public keys that verify them. Keep the file outside Keyward (another machine, WORM storage) " +
          "and send it back to `POST /v1/audit/verify` to check that the log was not rewritten since.",
        response: { 200: auditRef("AuditCheckpointExport"), ...problems() },
      },
    },
    async (request) => presentCheckpointExport(await deps.audit.exportCheckpoints(principalOf(request))),
  );
}
