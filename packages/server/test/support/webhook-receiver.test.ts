import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { sendWebhook } from "../../src/webhooks/send-webhook.js";
import { signWebhook } from "../../src/webhooks/sign-webhook.js";
import { generateWebhookSecret, parseWebhookSecret } from "../../src/webhooks/webhook-secret.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

describe("startWebhookReceiver()", () => {
  it("listens on 127.0.0.1 and records each request's headers, body and arrival time", async () => {
    receiver = await startWebhookReceiver();
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);
    const before = Date.now();
    const res = await post(receiver.url, '{"n":1}', { "Webhook-Id": "msg_1" });
    expect(res.status).toBe(200);
    expect(receiver.received).toEqual([
      {
        headers: expect.objectContaining({ "webhook-id": "msg_1", "content-type": "application/json" }),
        body: '{"n":1}',
        receivedAt: expect.any(Number),
      },
    ]);
    expect(receiver.received[0]?.receivedAt).toBeGreaterThanOrEqual(before);
  });

  it("answers with the status respond() picks for each request", async () => {
    let calls = 0;
    receiver = await startWebhookReceiver({ respond: () => (++calls === 1 ? 503 : 204) });
    expect((await post(receiver.url, "{}")).status).toBe(503);
    expect((await post(receiver.url, "{}")).status).toBe(204);
  });

  it("answers 500 when respond() throws, and keeps serving", async () => {
    receiver = await startWebhookReceiver({
      respond: () => {
        throw new Error("bug in the test");
      },
    });
    expect((await post(receiver.url, "{}")).status).toBe(500);
    expect(receiver.received).toHaveLength(1);
  });

  it("resolves waitFor() at once when the predicate already holds", async () => {
    receiver = await startWebhookReceiver();
    await post(receiver.url, "{}");
    await receiver.waitFor((all) => all.length === 1, 1);
  });

  it("resolves waitFor() on the request that makes the predicate hold", async () => {
    receiver = await startWebhookReceiver();
    const waiting = receiver.waitFor((all) => all.some((webhook) => webhook.body === '{"n":2}'));
    await post(receiver.url, '{"n":1}');
    await post(receiver.url, '{"n":2}');
    await waiting;
    expect(receiver.received.map((webhook) => webhook.body)).toEqual(['{"n":1}', '{"n":2}']);
  });

  it("rejects waitFor() after timeoutMs with a message saying what arrived", async () => {
    receiver = await startWebhookReceiver();
    await post(receiver.url, "{}");
    await expect(receiver.waitFor((all) => all.length >= 2, 50)).rejects.toThrow(
      "waitFor(): the predicate did not hold within 50 ms; 1 webhook(s) received.",
    );
  });

  it("rejects waitFor() with the predicate's own error when it throws", async () => {
    receiver = await startWebhookReceiver();
    await expect(
      receiver.waitFor(() => {
        throw new Error("predicate failed");
      }),
    ).rejects.toThrow("predicate failed");
  });

  it("rejects a pending waitFor() and stops listening on close()", async () => {
    const closing = await startWebhookReceiver();
    const waiting = closing.waitFor(() => false);
    await closing.close();
    await expect(waiting).rejects.toThrow("the webhook receiver was closed");
    await expect(post(closing.url, "{}")).rejects.toThrow();
  });

  it("receives what sendWebhook() sends, signed so the official verifier accepts it", async () => {
    receiver = await startWebhookReceiver();
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: "key.created", data: { keyId: "key_1" } });
    const headers = signWebhook({
      id: "msg_e2e",
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
      key: parseWebhookSecret(secret),
    });
    const result = await sendWebhook({
      url: receiver.url,
      headers,
      body,
      timeoutMs: 5_000,
      userAgent: "Keyward",
    });
    expect(result.ok).toBe(true);
    await receiver.waitFor((all) => all.length === 1);
    const [webhook] = receiver.received;
    expect(webhook?.body).toBe(body);
    expect(new Webhook(secret).verify(webhook?.body ?? "", webhook?.headers ?? {})).toEqual(JSON.parse(body));
  });
});
