import type { AppDependencies, KeywardApp } from "../../../app.js";
import { parseExportedCheckpoint, presentAuditVerification } from "../../../audit-presenters.js";
import { AUDIT_LIMITS, AuditVerifyBody, auditRef } from "../../../audit-schemas.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";

/** POST /v1/audit/verify: the same verification, also against checkpoints kept outside Keyward. */
export function registerVerifyAuditLogAgainst(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/audit/verify",
    {
      config: { permission: "audit:read" },
      // A file of 10,000 checkpoints is larger than the default body limit. The body is read only after the
      // onRequest hook authenticated the token, so only an admin token can send this much.
      bodyLimit: AUDIT_LIMITS.verifyBodyBytes,
      schema: {
        tags: ["audit"],
        summary: "Verify the audit log against exported checkpoints",
        description:
          "Needs `audit:read` and a token that sees every project. Send what `GET /v1/audit/checkpoints` " +
          "returned and was kept elsewhere: besides the stored ones, each of these checkpoints must be signed " +
          "by one of the given keys and match the entry at its seq, so a log rewritten together with its stored " +
          "checkpoints is caught (`checkpoint_mismatch`). The verdict is the same as `GET /v1/audit/verify`.",
        body: AuditVerifyBody,
        response: { 200: auditRef("AuditVerification"), ...problems(413, 415) },
      },
    },
    async (request) => {
      const { checkpoints, publicKeys } = request.body;
      const verdict = await deps.audit.verify(principalOf(request), {
        checkpoints: checkpoints.map(parseExportedCheckpoint),
        publicKeys: publicKeys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
      });
      return presentAuditVerification(verdict);
    },
  );
}
