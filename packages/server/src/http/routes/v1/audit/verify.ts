import type { AppDependencies, KeywardApp } from "../../../app.js";
import { presentAuditVerification } from "../../../audit-presenters.js";
import { auditRef } from "../../../audit-schemas.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";

/** GET /v1/audit/verify: checks the whole chain and the stored checkpoints; the verdict is an outcome. */
export function registerVerifyAuditLog(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/audit/verify",
    {
      config: { permission: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "Verify the audit log",
        description:
          "Needs `audit:read` and a token that sees every project. Recomputes every entry's hash and link and " +
          "checks every stored checkpoint's signature and hash. Answers 200 either way: `{ok: true, entries, " +
          "checkpoints}`, or `{ok: false, reason, firstBadEntry, detail}` naming the first entry modified, " +
          "deleted, inserted or reordered (reason `checkpoint_mismatch` when a checkpoint does not hold). A " +
          "verification reads the whole log: on a large log it takes a while.",
        response: { 200: auditRef("AuditVerification"), ...problems() },
      },
    },
    async (request) => presentAuditVerification(await deps.audit.verify(principalOf(request))),
  );
}
