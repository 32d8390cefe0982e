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
          "revoked, disabled, expired, IP allowlist (the key's, else its project's), scopes, rate limits, quota. " +
          "Returns HTTP 200 with `valid` and a `code`; key details are included whenever the key exists, with " +
          "`rotationDue` (older than the project's `rotationPeriod`). A rotated key still in its grace window " +
          "answers VALID with `rotation`: its replacement's id and when this key stops verifying. Required " +
          "scopes must all be granted, exactly or by a wildcard. A request refused by a rate limit (RATE_LIMITED) " +
          "spends nothing; only a request every rate limit admits spends `cost` of the quota (USAGE_EXCEEDED when " +
          "too little is left). When the rate limiter is down, keys with only rate limits answer with `degraded: " +
          "true` (KEYWARD_RATELIMIT_FAIL_OPEN) and keys with a quota get 503 RATE_LIMITER_UNAVAILABLE (unless " +
          "KEYWARD_QUOTA_FAIL_OPEN). A source (`ip`, else the caller's address) with too many NOT_FOUND answers " +
          "gets 429 TOO_MANY_FAILED_VERIFICATIONS with Retry-After.",
        body: VerifyRequest,
        response: { 200: VerifyResponse, ...problems(413, 415, 429, 503) },
      },
    },
    async (request) =>
      runVerification(deps.keys, principalOf(request), request.body, request.ip, deps.metrics),
  );
}
