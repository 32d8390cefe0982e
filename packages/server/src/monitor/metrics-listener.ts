import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.js";

/** The separate, unauthenticated `/metrics` listener (`KEYWARD_METRICS_LISTEN`). */
export interface MetricsListener {
  /** Where it listens, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  /** Stops listening and ends open scrape connections. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` without authentication on its own address: meant for a private interface that only the
 * scraper reaches, so Prometheus needs no token. Answers nothing else: every other path is a 404, every other
 * method a 405, so the listener exposes no more than the metrics. A plain `node:http` server keeps it apart from
 * the API's routes, hooks and authentication.
 */
export async function startMetricsListener(options: {
  metrics: Pick<Metrics, "render" | "contentType">;
  host: string;
  port: number;
  logger: Pick<Logger, "error">;
}): Promise<MetricsListener> {
  const { metrics, logger } = options;
  const server = createServer((req, res) => {
    const path = req.url?.split("?", 1)[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found: try /metrics.\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end();
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, {
          "content-type": metrics.contentType,
          "content-length": Buffer.byteLength(text),
          "cache-control": "no-store",
        });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: error }, "rendering the metrics failed");
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Metrics unavailable.\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Scrapers keep connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
