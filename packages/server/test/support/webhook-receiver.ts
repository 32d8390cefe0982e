import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got. */
export interface ReceivedWebhook {
  /** Lower-case names; a repeated header is joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** `Date.now()` when the body had arrived. */
  receivedAt: number;
}

/** Options for {@link startWebhookReceiver}. */
export interface StartWebhookReceiverOptions {
  /** Chooses the status for each request, after it is recorded; 200 when absent. */
  respond?: (req: ReceivedWebhook) => number;
}

/** A local HTTP endpoint that records webhooks, for tests. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/webhook`; any path and method are recorded. */
  url: string;
  /** Every request so far, in arrival order. */
  received: ReceivedWebhook[];
  /** Resolves once `predicate(received)` holds, checked now and on each request; rejects after `timeoutMs` (10 s). */
  waitFor(predicate: (all: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening, drops open connections and rejects any pending `waitFor`. */
  close(): Promise<void>;
}

interface Waiter {
  predicate: (all: ReceivedWebhook[]) => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Starts a {@link WebhookReceiver} on 127.0.0.1 and a free port. */
export async function startWebhookReceiver(
  options: StartWebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<Waiter>();

  // Settles the waiters whose predicate now holds; a predicate that throws fails its own waitFor, not the server.
  const check = (): void => {
    for (const waiter of waiters) {
      let holds: boolean;
      try {
        holds = waiter.predicate(received);
      } catch (error) {
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (holds) waiter.resolve();
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headersDistinct)) {
        if (value !== undefined) headers[name] = value.join(", ");
      }
      const webhook: ReceivedWebhook = {
        headers,
        body: Buffer.concat(chunks).toString("utf8"),
        receivedAt: Date.now(),
      };
      received.push(webhook);
      let status = 200;
      try {
        status = options.respond?.(webhook) ?? 200;
      } catch {
        status = 500;
      }
      res.statusCode = status;
      res.end();
      check();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: () => {
            settle();
            resolve();
          },
          reject: (error) => {
            settle();
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiter.reject(
            new Error(
              `waitFor(): the predicate did not hold within ${timeoutMs} ms; ${received.length} webhook(s) received.`,
            ),
          );
        }, timeoutMs);
        function settle(): void {
          clearTimeout(timer);
          waiters.delete(waiter);
        }
        waiters.add(waiter);
        check();
      });
    },
    async close() {
      for (const waiter of waiters) waiter.reject(new Error("waitFor(): the webhook receiver was closed."));
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
