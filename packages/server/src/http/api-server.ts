import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { SecureContextOptions } from "node:tls";

/**
 * Sent on every HTTPS response: browsers and HSTS-aware clients then refuse plain HTTP to this host for a year.
 * Never sent over plain HTTP, where an attacker could strip or forge it (RFC 6797 §7.2).
 */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains";

/** The oldest protocol the API accepts; TLS 1.0 and 1.1 are deprecated (RFC 8996). */
export const MIN_TLS_VERSION = "TLSv1.2";

/** The PEM certificate chain and key the API serves HTTPS with. */
export interface ApiTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The options of a TLS context for the API: also what a certificate reload passes to `setSecureContext()`. */
export function apiSecureContext(tls: ApiTls): SecureContextOptions {
  // Node's default cipher list: reviewed with each Node release, so not pinned here.
  return { cert: tls.cert, key: tls.key, minVersion: MIN_TLS_VERSION };
}

/**
 * The API's raw server: HTTPS with HSTS on every response when `tls` is given, plain HTTP otherwise. The header
 * is set before `handle` runs, so every response carries it, whether Fastify or the verify fast path writes it.
 */
export function createApiServer(options: {
  tls: ApiTls | null;
  handle: (req: IncomingMessage, res: ServerResponse) => void;
}): Server | HttpsServer {
  const { tls, handle } = options;
  if (tls === null) return createServer(handle);
  return createHttpsServer(apiSecureContext(tls), (req, res) => {
    res.setHeader("strict-transport-security", STRICT_TRANSPORT_SECURITY);
    handle(req, res);
  });
}
