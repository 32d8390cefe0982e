/** Every stable error code Keyward can return, with its HTTP status and a one-line title. */
export const ERROR_CATALOGUE = {
  VALIDATION_ERROR: { status: 400, title: "The request is not valid." },
  INVALID_JSON: { status: 400, title: "The request body is not valid JSON." },
  UNAUTHORIZED: { status: 401, title: "A valid bearer token is required." },
  MFA_REQUIRED: { status: 401, title: "A second factor (a TOTP or recovery code) is required to log in." },
  FORBIDDEN: { status: 403, title: "The token lacks the permission this action needs." },
  STEP_UP_REQUIRED: {
    status: 403,
    title: "This action needs a second factor presented within the last 5 minutes.",
  },
  TWO_FACTOR_REQUIRED: {
    status: 403,
    title: "Two-factor authentication is required; enrol a second factor first.",
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    title: "The CSRF token of this cookie-authenticated request is missing or wrong.",
  },
  NOT_FOUND: { status: 404, title: "The resource does not exist." },
  METHOD_NOT_ALLOWED: { status: 405, title: "The method is not allowed on this resource." },
  NOT_ACCEPTABLE: { status: 406, title: "The requested representation is not available." },
  CONFLICT: { status: 409, title: "The request conflicts with the current state." },
  KEY_ALREADY_ROTATED: { status: 409, title: "The key has already been rotated." },
  POLICY_VIOLATION: { status: 422, title: "The request breaks a policy of the project." },
  TOO_MANY_FAILED_VERIFICATIONS: {
    status: 429,
    title: "Too many failed verifications from this source; wait before trying again.",
  },
  TOO_MANY_LOGIN_ATTEMPTS: {
    status: 429,
    title: "Too many login attempts for this account or from this address; wait before trying again.",
  },
  TOO_MANY_REVEALS: {
    status: 429,
    title: "Too many secrets or keys were revealed with this token; wait before revealing more.",
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body must be application/json." },
  HEADERS_TOO_LARGE: { status: 431, title: "The request headers are too large." },
  INTERNAL_ERROR: { status: 500, title: "An internal error occurred." },
  STORE_UNAVAILABLE: { status: 503, title: "The key store is unavailable." },
  RATE_LIMITER_UNAVAILABLE: { status: 503, title: "The rate limiter is unavailable." },
  INVALIDATION_BUS_UNAVAILABLE: {
    status: 503,
    title: "The channel that tells other nodes about changes is unavailable.",
  },
  KMS_UNAVAILABLE: { status: 503, title: "The key management service (HSM) is unavailable." },
  NOT_READY: { status: 503, title: "Keyward is not ready to serve requests." },
  CONFIG_INVALID: { status: 500, title: "The configuration is not valid." },
  MASTER_KEY_INVALID: { status: 500, title: "The master key is missing or malformed." },
  MASTER_KEY_INSECURE: { status: 500, title: "The master key file is readable by group or others." },
  MASTER_KEY_MISMATCH: { status: 500, title: "The master key cannot decrypt this data directory." },
  TLS_CERTIFICATE_INVALID: {
    status: 500,
    title: "The TLS certificate or private key cannot be read or parsed.",
  },
  TLS_KEY_MISMATCH: { status: 500, title: "The TLS private key does not belong to the certificate." },
  DECRYPTION_FAILED: { status: 500, title: "Encrypted data could not be authenticated." },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable error code from the catalogue. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** True when `code` is a code from the catalogue. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}
