import type { IncomingHttpHeaders } from "node:http";
import { type Agent, request } from "node:https";
import type { TLSSocket } from "node:tls";

/** What {@link httpsRequest} saw: the response, and the TLS connection it came over. */
export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The server certificate's SHA-256 fingerprint on this connection. */
  fingerprint256: string;
  /** True when the request went over a kept-alive connection opened by an earlier request. */
  reusedSocket: boolean;
  protocol: string | null;
}

/**
 * Sends one request with node:https, trusting only `ca` (fetch cannot be given a CA without a dependency), and
 * reports the peer certificate of the connection it used.
 */
export function httpsRequest(
  url: string,
  options: {
    ca?: string;
    agent?: Agent;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { "content-length": String(Buffer.byteLength(options.body)) }),
        },
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.agent === undefined ? {} : { agent: options.agent }),
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        const protocol = socket.getProtocol();
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            fingerprint256,
            reusedSocket: req.reusedSocket,
            protocol,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
