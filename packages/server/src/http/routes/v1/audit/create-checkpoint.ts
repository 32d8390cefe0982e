import type { AppDependencies, KeywardApp } from "../../../app.js";
import { presentAuditCheckpoint } from "../../../audit-presenters.js";
import { auditRef } from "../../../audit-schemas.js";
import { principalOf } from "../../../auth.js";
import { emptyBodyAsObject, problems } from "../../../route-kit.js";

/** POST /v1/audit/checkpoints: signs a checkpoint of the log as it ends now. */
export function registerCreateAuditCheckpoint(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/audit/checkpoints",
    {
      config: { permission: "audit:write" },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ["audit"],
        summary: "Sign an audit checkpoint now",
        description:
          "Needs `audit:write` and a token that sees every project. Signs (with the Ed25519 key held through " +
          "the KMS) that the chain up to the last entry ends in its hash. When a checkpoint at the last entry " +
          "exists already, returns it. 409 CONFLICT while the log is empty.",
        response: { 201: auditRef("AuditCheckpoint"), ...problems(409) },
      },
    },
    async (request, reply) => {
      const checkpoint = await deps.audit.checkpoint(principalOf(request));
      return reply.status(201).send(presentAuditCheckpoint(checkpoint));
    },
  );
}
