import type { AppDependencies, KeywardApp } from "../../../app.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";
import { runVerification, VerifyRequest, VerifyResponse } from "./verify-contract.js";

/** POST /v1/keys/verify: the hot path. A failed check is data (HTTP 200), never an error. */
export function registerVerifyKey(app: KeywardApp, deps: AppDependencies): void {
  app.post(
    "/v1/keys/verify",
    {
      config: { permission: "keys:verify" },
      schema: {
        tags: ["keys"],
        summary: "Verify a key",
        description:
          "Needs `keys:verify`. Checks, in order: format and checksum (no lookup for a malformed key), lookup, " +
          "revoked, disabled, expired, scopes. Returns HTTP 200 with `valid` and a `code`; key details are " +
          "included whenever the key exists, with `rotationDue` (older than the project's `rotationPeriod`). A " +
          "rotated key still in its grace window answers VALID with `rotation`: its replacement's id and when " +
          "this key stops verifying. Required scopes must all be granted, exactly or by a wildcard.",
        body: VerifyRequest,
        response: { 200: VerifyResponse, ...problems(413, 415) },
      },
    },
    async (request) => runVerification(deps.keys, principalOf(request), request.body),
  );
}
