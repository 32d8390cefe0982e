import type { SignedWebhookHeaders } from "./sign-webhook.js";

/** What one delivery attempt got back, as stored for the deliveries page. */
export interface WebhookResponse {
  /** HTTP status, or null when no response arrived. */
  statusCode: number | null;
  /**
   * Short fixed reason the exchange failed: "timeout", "connection refused", "redirect not followed", ...; never
   * headers or secrets. Null when a whole non-redirect response arrived, whose status then tells the outcome.
   */
  error: string | null;
  durationMs: number;
  /** The first KiB of the response body as text, or null when there was none to read. */
  responseBody: string | null;
}

/** Input of {@link sendWebhook}. */
export interface SendWebhookInput {
  url: string;
  headers: SignedWebhookHeaders;
  /** JSON text, sent exactly as signed. */
  body: string;
  /** Budget for the whole exchange: connecting, sending, the status line and reading the kept part of the body. */
  timeoutMs: number;
  userAgent: string;
}

const MAX_RESPONSE_BODY_BYTES = 1024;

// A Map, not an object literal: a code like "constructor" must not find a prototype member.
const REASON_BY_CODE: ReadonlyMap<string, string> = new Map([
  ["ECONNREFUSED", "connection refused"],
  ["ECONNRESET", "connection reset"],
  ["EPIPE", "connection reset"],
  ["UND_ERR_SOCKET", "connection reset"],
  ["ENOTFOUND", "host not found"],
  ["EAI_AGAIN", "host lookup failed"],
  ["EHOSTUNREACH", "host unreachable"],
  ["ENETUNREACH", "network unreachable"],
  ["ETIMEDOUT", "timeout"],
  ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
  ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
  ["UND_ERR_BODY_TIMEOUT", "timeout"],
]);

// OpenSSL's verification codes carry no common prefix; these are the ones a misconfigured receiver produces.
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * POSTs one signed webhook and reports what happened; it never throws for network trouble. Redirects are not
 * followed (a 3xx fails the attempt), and `ok` means a 2xx with the exchange finished inside `timeoutMs`.
 */
export async function sendWebhook(input: SendWebhookInput): Promise<WebhookResponse & { ok: boolean }> {
  const startedAt = performance.now();
  // One signal for the whole exchange: fetch() resolves at the status line, and a receiver that then stalls
  // mid-body must still be cut off.
  const signal = AbortSignal.timeout(input.timeoutMs);
  const elapsedMs = (): number => Math.round(performance.now() - startedAt);

  let response: Response;
  try {
    response = await fetch(input.url, {
      method: "POST",
      headers: { ...input.headers, "content-type": "application/json", "user-agent": input.userAgent },
      body: input.body,
      redirect: "manual",
      signal,
    });
  } catch (error) {
    return {
      ok: false,
      statusCode: null,
      error: describeFailure(error),
      durationMs: elapsedMs(),
      responseBody: null,
    };
  }

  const statusCode = response.status;
  const { text: responseBody, failure } = await readBodyStart(response);
  const redirected = statusCode >= 300 && statusCode < 400;
  const error = failure !== null ? describeFailure(failure) : redirected ? "redirect not followed" : null;
  const ok = error === null && statusCode >= 200 && statusCode < 300;
  return { ok, statusCode, error, durationMs: elapsedMs(), responseBody };
}

/** Reads at most {@link MAX_RESPONSE_BODY_BYTES} and drops the rest, so a huge or endless body costs nothing. */
async function readBodyStart(response: Response): Promise<{ text: string | null; failure: unknown }> {
  if (response.body === null) return { text: null, failure: null };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  let failure: unknown = null;
  try {
    while (received < MAX_RESPONSE_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
    }
    if (received >= MAX_RESPONSE_BODY_BYTES) {
      // Not awaited: closing the connection is the pool's business, and this attempt's outcome is known.
      reader.cancel().catch(() => {});
    }
  } catch (error) {
    failure = error;
  }
  const bytes = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY_BYTES);
  // stream: true holds back a character the cut split in two, instead of ending with U+FFFD.
  const text = new TextDecoder("utf-8").decode(bytes, { stream: true });
  return { text, failure };
}

/** A short, fixed reason for a failed exchange; never the error's own message, which may name hosts or headers. */
function describeFailure(error: unknown): string {
  for (const cause of causesOf(error)) {
    if (cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError"))
      return "timeout";
    const code = (cause as { code?: unknown } | null)?.code;
    if (typeof code !== "string") continue;
    const reason = REASON_BY_CODE.get(code);
    if (reason !== undefined) return reason;
    if (CERTIFICATE_CODES.has(code)) return `certificate rejected (${code})`;
    if (code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_")) return `TLS handshake failed (${code})`;
  }
  return "request failed";
}

/** The error, its causes, and the members of any AggregateError (a host with IPv4 and IPv6 addresses fails with one). */
function* causesOf(error: unknown): Generator<unknown> {
  const pending: unknown[] = [error];
  let budget = 16;
  while (pending.length > 0 && budget-- > 0) {
    const current = pending.shift();
    yield current;
    if (current instanceof AggregateError) pending.push(...current.errors);
    if (current instanceof Error && current.cause !== undefined) pending.push(current.cause);
  }
}
