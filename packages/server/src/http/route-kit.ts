import type { FastifyRequest } from "fastify";
import { type TSchema, Type } from "typebox";

/** A reference to a shared schema registered with `app.addSchema` (Key, Project, Token, Problem). */
export function ref(name: "Key" | "Project" | "Token" | "Problem" | "Alert"): TSchema {
  return Type.Unsafe({ $ref: `${name}#` });
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: "The request is not valid (VALIDATION_ERROR, INVALID_JSON).",
  401: "No valid bearer token or session (UNAUTHORIZED), or a second factor is due at login (MFA_REQUIRED).",
  403:
    "The token or the user's role lacks the permission (FORBIDDEN), the action needs a fresh second factor " +
    "(STEP_UP_REQUIRED), two-factor authentication is required and not enrolled (TWO_FACTOR_REQUIRED), or a " +
    "cookie-authenticated change lacks its CSRF token (CSRF_TOKEN_INVALID).",
  404: "No such resource, or hidden from this token (NOT_FOUND).",
  409: "Conflicts with the resource's state (CONFLICT, KEY_ALREADY_ROTATED).",
  413: "The body is too large (PAYLOAD_TOO_LARGE).",
  415: "The body is not application/json (UNSUPPORTED_MEDIA_TYPE).",
  422: "The request breaks a policy of the project (POLICY_VIOLATION).",
  429:
    "Too many failed verifications from this source (TOO_MANY_FAILED_VERIFICATIONS), too many reveals by " +
    "this token (TOO_MANY_REVEALS), or too many login or step-up attempts for the account or from the address " +
    "(TOO_MANY_LOGIN_ATTEMPTS); see Retry-After.",
  500: "An unexpected failure (INTERNAL_ERROR); the requestId names it in the log.",
  503:
    "The store or the rate limiter is unavailable, or the server is stopping (STORE_UNAVAILABLE, " +
    "RATE_LIMITER_UNAVAILABLE, NOT_READY).",
};

/**
 * Problem responses for the given statuses, as `application/problem+json`, for the OpenAPI document and for
 * fast serialization. 400, 401, 403 and 500 are always included.
 */
export function problems(...statuses: number[]): Record<number, unknown> {
  const all = [...new Set([400, 401, 403, ...statuses, 500])];
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? "A problem document.",
        content: { "application/problem+json": { schema: ref("Problem") } },
      },
    ]),
  );
}

/** preValidation hook for routes whose body is optional: a missing body is an empty object. */
export async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}
