import type { FieldError } from "@keyward/core/keyward-error.js";

/** Codes the client sets itself when there is no problem document to read one from. */
export type ClientErrorCode = "NETWORK_ERROR" | "TIMEOUT" | "INVALID_RESPONSE";

/** Options for a {@link KeywardApiError}. */
export interface KeywardApiErrorOptions {
  /** HTTP status of the answer; 0 when no answer arrived. */
  status: number;
  code: string;
  detail: string;
  requestId?: string | null;
  errors?: FieldError[];
  /** The answer's Retry-After, in seconds. */
  retryAfterSeconds?: number | null;
  cause?: unknown;
}

/**
 * A request the Keyward API refused (its problem document's `code`, `detail`, `requestId` and `errors`), or one
 * that got no usable answer (`NETWORK_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`). A failed key check is not an error.
 */
export class KeywardApiError extends Error {
  /** HTTP status of the answer; 0 when no answer arrived. */
  readonly status: number;
  /** A code from Keyward's error catalogue (docs/errors.md), or a {@link ClientErrorCode}. */
  readonly code: string;
  readonly detail: string;
  /** The server's request id, to find the request in its log; null when there was no answer. */
  readonly requestId: string | null;
  /** The invalid fields of a VALIDATION_ERROR, each named by a JSON pointer into the request body. */
  readonly errors: FieldError[];
  /**
   * How long to wait before trying again, from the answer's Retry-After header (a 429
   * TOO_MANY_FAILED_VERIFICATIONS carries it); null when the answer had none.
   */
  readonly retryAfterSeconds: number | null;

  constructor(options: KeywardApiErrorOptions) {
    super(options.detail, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "KeywardApiError";
    this.status = options.status;
    this.code = options.code;
    this.detail = options.detail;
    this.requestId = options.requestId ?? null;
    this.errors = options.errors ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  /**
   * True when the same request may succeed later: no answer, a timeout, too many requests (429, after
   * `retryAfterSeconds`), or the server was unavailable (503).
   */
  get retryable(): boolean {
    return (
      this.code === "NETWORK_ERROR" || this.code === "TIMEOUT" || this.status === 429 || this.status === 503
    );
  }
}
