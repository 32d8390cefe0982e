import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendWebhook } from "./send-webhook.js";
import type { SignedWebhookHeaders } from "./sign-webhook.js";

const headers: SignedWebhookHeaders = {
  "webhook-id": "msg_1",
  "webhook-timestamp": "1700000000",
  "webhook-signature": "v1,c2lnbmF0dXJl",
};
const body = JSON.stringify({ type: "key.revoked", data: { keyId: "key_123" } });

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Starts a receiver on 127.0.0.1 that records each request, then lets `respond` answer (or not). */
async function startReceiver(
  respond: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      respond(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

const send = (url: string, timeoutMs = 5_000) =>
  sendWebhook({ url, headers, body, timeoutMs, userAgent: "Keyward-Webhooks/0.1" });

describe("sendWebhook()", () => {
  it("POSTs the body with the signed headers, content type and user agent, and reports a 200 as ok", async () => {
    const receiver = await startReceiver((_req, res) => res.end("thanks"));
    const result = await send(receiver.url);
    expect(result).toEqual({
      ok: true,
      statusCode: 200,
      error: null,
      durationMs: expect.any(Number),
      responseBody: "thanks",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/hooks");
    expect(request?.body).toBe(body);
    expect(request?.headers).toMatchObject({
      ...headers,
      "content-type": "application/json",
      "user-agent": "Keyward-Webhooks/0.1",
    });
  });

  it("reports any 2xx as ok, and a 204 as having no body", async () => {
    const receiver = await startReceiver((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    expect(await send(receiver.url)).toMatchObject({
      ok: true,
      statusCode: 204,
      error: null,
      responseBody: null,
    });
  });

  it("reports a 500 as not ok and keeps its body", async () => {
    const receiver = await startReceiver((_req, res) => {
      res.statusCode = 500;
      res.end("database is down");
    });
    expect(await send(receiver.url)).toMatchObject({
      ok: false,
      statusCode: 500,
      error: null,
      responseBody: "database is down",
    });
  });

  it("does not follow a 301 and reports it as a failure", async () => {
    const receiver = await startReceiver((req, res) => {
      if (req.url === "/moved") {
        res.end("followed");
        return;
      }
      res.writeHead(301, { location: "/moved" });
      res.end("see /moved");
    });
    expect(await send(receiver.url)).toMatchObject({
      ok: false,
      statusCode: 301,
      error: "redirect not followed",
    });
    expect(receiver.received.map((request) => request.url)).toEqual(["/hooks"]);
  });

  it("times out when the receiver never answers", async () => {
    const receiver = await startReceiver(() => {});
    expect(await send(receiver.url, 200)).toMatchObject({
      ok: false,
      statusCode: null,
      error: "timeout",
      responseBody: null,
    });
  });

  it("times out when the receiver sends a 200 and then stalls in the middle of the body", async () => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
    });
    expect(await send(receiver.url, 200)).toMatchObject({
      ok: false,
      statusCode: 200,
      error: "timeout",
      responseBody: "partial",
    });
  });

  it("keeps only the first KiB of a body that never ends, and does not wait for the rest", async () => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("x".repeat(64 * 1024));
    });
    const result = await send(receiver.url);
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(result.responseBody).toBe("x".repeat(1024));
  });

  it("does not end the kept body with half a character when the cut splits one", async () => {
    const receiver = await startReceiver((_req, res) => res.end(`${"a".repeat(1023)}é and more`));
    const result = await send(receiver.url);
    expect(result.responseBody).toBe("a".repeat(1023));
  });

  it("reports a refused connection without throwing", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    expect(await send(`http://127.0.0.1:${port}/hooks`)).toEqual({
      ok: false,
      statusCode: null,
      error: "connection refused",
      durationMs: expect.any(Number),
      responseBody: null,
    });
  });

  it("reports a connection the receiver drops before answering as reset", async () => {
    const receiver = await startReceiver((req) => req.socket.destroy());
    expect(await send(receiver.url)).toMatchObject({
      ok: false,
      statusCode: null,
      error: "connection reset",
    });
  });

  it("reports a URL fetch cannot use as a failed request instead of throwing", async () => {
    expect(await send("not a url")).toMatchObject({ ok: false, statusCode: null, error: "request failed" });
  });
});
