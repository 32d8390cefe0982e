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
}

/** The one error type Keyward throws on purpose: a stable code, a safe message, an optional cause. */
export class KeywardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: FieldError[] | undefined;

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
  }
}
