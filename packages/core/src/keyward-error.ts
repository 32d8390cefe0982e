import { ERROR_CATALOGUE, type ErrorCode } from "./error-catalogue.js";

/** One invalid field of a request, named by its JSON pointer. */
export interface FieldError {
  /** JSON pointer to the field, e.g. `/scopes/2`. */
  pointer: string;
  /** What was expected, in one sentence. */
  detail: string;
}

/** Options for a {@link KeywardError}. */
export interface KeywardErrorOptions {
  cause?: unknown;
  /** True when the same request may succeed later (the store was briefly unreachable). */
  retryable?: boolean;
  errors?: FieldError[];
  /** For 429 and 503: how long the client should wait, sent as `Retry-After` (whole seconds, rounded up). */
  retryAfterMs?: number;
}

/** The one error type Keyward throws on purpose: a stable code, a safe message, an optional cause. */
export class KeywardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message?: string, options: KeywardErrorOptions = {}) {
    super(
      message ?? ERROR_CATALOGUE[code].title,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = "KeywardError";
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.retryable = options.retryable ?? false;
    this.errors = options.errors;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A VALIDATION_ERROR for one invalid field. `detail` completes a sentence about the field ("must be ..."), so the
 * message and the `errors[]` entry say the same thing.
 */
export function invalidField(pointer: string, detail: string): KeywardError {
  const subject = pointer === "/" || pointer === "" ? "The request" : pointer.slice(1);
  return new KeywardError("VALIDATION_ERROR", `${subject} ${detail}.`, { errors: [{ pointer, detail }] });
}
