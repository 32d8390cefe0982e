import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { IdParams } from "../../../schemas.js";
import { secretRef } from "../../../secret-schemas.js";

/** POST /v1/keys/{id}/reveal: the plaintext of a key whose project keeps recoverable copies. */
export function registerRevealKey(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/:id/reveal",
    {
      config: { permission: "keys:reveal", stepUp: true },
      schema: {
        tags: ["keys"],
        summary: "Reveal a recoverable key",
        description:
          "Needs `keys:reveal`. From a user's session also a second factor within the last 5 minutes (403 STEP_UP_REQUIRED: POST " +
          "/v1/auth/step-up first). Only keys issued while their project had `recoverableKeys` on have a copy; any " +
          "other key is NOT_FOUND here. Audited (`key.revealed`) before the key is returned, rate limited per " +
          "token with secret reveals (429 TOO_MANY_REVEALS with Retry-After), `Cache-Control: no-store`.",
        params: IdParams,
        response: { 200: secretRef("RevealedKey"), ...problems(404, 429, 503) },
      },
    },
    async (request, reply) => {
      const revealed = await deps.secrets.revealKey(principalOf(request), request.params.id);
      reply.header("cache-control", "no-store");
      return revealed;
    },
  );
}
