import { KEY_SCANNER_PATTERN } from "@keyward/core/key-format.js";
import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";

/** Paths pino replaces with "[redacted]" wherever they appear: secrets never reach a log line. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  "headers.authorization",
  "headers.cookie",
  "authorization",
  "cookie",
  "key",
  "token",
  "secret",
  "sealedSecret",
  "rootToken",
  "masterKey",
  "pepper",
  "password",
  // A vault secret's value (`POST /v1/secrets`, a reveal's answer): request and response bodies are not logged,
  // but an object that carries one must not reach a line either.
  "value",
  "sealedValue",
  "*.key",
  "*.token",
  "*.secret",
  "*.sealedSecret",
  "*.authorization",
  "*.cookie",
  "*.rootToken",
  "*.masterKey",
  "*.pepper",
  "*.password",
  "*.value",
  "*.sealedValue",
];

/**
 * Anything shaped like a key or an admin token (any prefix: the scanner pattern), and webhook signing secrets
 * (`whsec_` and base64, standard or URL-safe; tried first, since the key pattern would match its start only).
 */
const SECRET_IN_TEXT = new RegExp(`whsec_[A-Za-z0-9+/=_-]*|${KEY_SCANNER_PATTERN}`, "g");

/**
 * A request URL fit for the log: every key, token or webhook secret in its path or query replaced by
 * `[redacted]`. Keys never belong in a URL, but a client that puts one there (`/v1/keys/<key>`, `?key=`) must
 * not get it written to the access log. The URL is percent-decoded first so an encoded secret is found too.
 */
export function redactUrl(url: string): string {
  let text = url;
  try {
    text = decodeURIComponent(url);
  } catch {
    // Malformed percent-encoding: scan it as it came.
  }
  return text.replace(SECRET_IN_TEXT, "[redacted]");
}

/** The request fields Fastify logs (its own `req` serializer's), with the URL redacted and no headers. */
function serializeRequest(req: unknown): unknown {
  if (typeof req !== "object" || req === null) return req;
  const r = req as {
    method?: unknown;
    url?: unknown;
    host?: unknown;
    ip?: unknown;
    socket?: { remotePort?: unknown };
  };
  return {
    method: r.method,
    url: typeof r.url === "string" ? redactUrl(r.url) : undefined,
    host: r.host,
    remoteAddress: r.ip,
    remotePort: r.socket?.remotePort,
  };
}

/** Builds the process logger (JSON lines on stdout unless a destination is given). */
export function createLogger(config: Pick<Config, "logLevel">, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      // Replaces Fastify's request serializer (a logger's own serializers win over the framework's).
      serializers: { req: serializeRequest },
      base: { service: "keyward" },
    },
    destination,
  );
}
