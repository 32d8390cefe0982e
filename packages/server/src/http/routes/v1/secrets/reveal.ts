import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { presentSecret } from "../../../secret-presenters.js";
import { secretRef } from "../../../secret-schemas.js";

/** POST /v1/secrets/{id}/reveal: a secret's value, audited and rate limited, never cached. */
export function registerRevealSecret(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/secrets/:id/reveal",
    {
      config: { permission: "secrets:reveal", stepUp: true },
      schema: {
        tags: ["secrets"],
        summary: "Reveal a secret's value",
        description:
          "Needs `secrets:reveal`. From a user's session also a second factor within the last 5 minutes (403 STEP_UP_REQUIRED: POST " +
          "/v1/auth/step-up first). Each reveal is written to the audit log (`secret.revealed`) before the value " +
          "is returned, and counts against the token's reveal limit (10 per minute for secrets and keys " +
          "together; past it, 429 TOO_MANY_REVEALS with Retry-After). The response carries " +
          "`Cache-Control: no-store`. A stored value that was altered or moved from another secret fails with " +
          "DECRYPTION_FAILED.",
        params: IdParams,
        response: { 200: secretRef("RevealedSecret"), ...problems(404, 429, 503) },
      },
    },
    async (request, reply) => {
      const revealed = await deps.secrets.revealSecret(principalOf(request), request.params.id);
      // Already set for every response; said again here because this one must never be stored.
      reply.header("cache-control", "no-store");
      return { ...presentSecret(revealed.record), value: revealed.value };
    },
  );
}
