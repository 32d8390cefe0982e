import { ERROR_CATALOGUE, type ErrorCode, isErrorCode } from "@keyward/core/error-catalogue.js";
import { type FieldError, KeywardError } from "@keyward/core/keyward-error.js";

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
}

/** The WWW-Authenticate header every 401 carries (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="keyward"';

/** Base of the `type` URI of every problem; each code has its section in docs/errors.md. */
export const PROBLEM_TYPE_BASE = "https://keyward.dev/errors/";

/** Fastify's own error codes mapped to ours: client mistakes the framework catches before our code runs. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "VALIDATION_ERROR",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_VALIDATION: "VALIDATION_ERROR",
  FST_ERR_NOT_FOUND: "NOT_FOUND",
  FST_ERR_BAD_URL: "NOT_FOUND",
  // A path parameter over the router's maxParamLength: like an id over its schema's maxLength.
  FST_ERR_MAX_PARAM_LENGTH: "VALIDATION_ERROR",
  FST_ERR_ASYNC_CONSTRAINT: "VALIDATION_ERROR",
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "VALIDATION_ERROR",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  431: "HEADERS_TOO_LARGE",
};

/** The part of an Ajv error this module reads. */
export interface AjvError {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

/** Builds a problem document for any error; unknown errors become INTERNAL_ERROR with a fixed message. */
export function toProblem(error: unknown, requestId: string): Problem {
  if (error instanceof KeywardError) {
    return problem(error.code, requestId, error.message, error.errors);
  }
  const candidate = error as {
    code?: unknown;
    statusCode?: unknown;
    validation?: unknown;
    message?: unknown;
  };
  if (Array.isArray(candidate.validation)) return toProblem(validationError(candidate.validation), requestId);
  const mapped =
    (typeof candidate.code === "string" ? FRAMEWORK_CODES[candidate.code] : undefined) ??
    (typeof candidate.statusCode === "number" ? STATUS_CODES[candidate.statusCode] : undefined);
  if (mapped !== undefined) {
    // Framework messages about the request are safe (they describe its shape), but say it in our words.
    return problem(mapped, requestId, ERROR_CATALOGUE[mapped].title);
  }
  return problem(
    "INTERNAL_ERROR",
    requestId,
    "An internal error occurred; the request id identifies it in the log.",
  );
}

/** A VALIDATION_ERROR naming every field a JSON Schema validator (Ajv) refused. */
export function validationError(ajvErrors: readonly AjvError[]): KeywardError {
  const errors = ajvErrors.map(fieldError);
  return new KeywardError("VALIDATION_ERROR", describe(errors), { errors });
}

/** The error for requests that arrive while the server shuts down: retryable, on another node or later. */
export function shuttingDownError(): KeywardError {
  return new KeywardError("NOT_READY", "Keyward is shutting down; retry on another node or in a moment.", {
    retryable: true,
  });
}

/**
 * The `Retry-After` value (whole seconds, rounded up so a client never retries early) for an error that says how
 * long to wait (429 TOO_MANY_FAILED_VERIFICATIONS, some 503s); undefined for every other error.
 */
export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof KeywardError) || error.retryAfterMs === undefined) return undefined;
  const ms = error.retryAfterMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.max(0, Math.ceil(ms / 1000));
}

/** True when the error is a server-side failure that must be logged with its stack. */
export function isServerFailure(p: Problem): boolean {
  return p.status >= 500;
}

function problem(code: string, requestId: string, detail: string, errors?: FieldError[]): Problem {
  const known: ErrorCode = isErrorCode(code) ? code : "INTERNAL_ERROR";
  const entry = ERROR_CATALOGUE[known];
  return {
    type: `${PROBLEM_TYPE_BASE}${known.toLowerCase()}`,
    title: entry.title,
    status: entry.status,
    detail,
    code: known,
    requestId,
    ...(errors === undefined || errors.length === 0 ? {} : { errors }),
  };
}

function fieldError(error: AjvError): FieldError {
  const child = error.params?.missingProperty ?? error.params?.additionalProperty;
  const pointer = `${error.instancePath ?? ""}${child === undefined ? "" : `/${child}`}`;
  return { pointer: pointer === "" ? "/" : pointer, detail: error.message ?? "is not valid" };
}

function describe(errors: FieldError[]): string {
  const first = errors[0];
  if (first === undefined) return "The request is not valid.";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return `${first.pointer === "/" ? "The request" : first.pointer.slice(1)} ${first.detail}${more}.`;
}
