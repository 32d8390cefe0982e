import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook } from "./sign-webhook.js";
import { generateWebhookSecret, parseWebhookSecret } from "./webhook-secret.js";

const body = JSON.stringify({ type: "key.revoked", data: { keyId: "key_123" } });
// The verifier refuses timestamps more than five minutes from its clock, so sign with the real one.
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe("signWebhook()", () => {
  it("matches the known answer from the Standard Webhooks specification", () => {
    const headers = signWebhook({
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
      timestampSeconds: 1614265330,
      body: '{"test": 2432232314}',
      key: parseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    });
    // Computed independently with `openssl dgst -sha256 -mac HMAC -macopt hexkey:31f290f6...`.
    expect(headers).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("signs the body as UTF-8 (known answer with a 32-byte key and non-ASCII text)", () => {
    const headers = signWebhook({
      id: "msg_2",
      timestampSeconds: 1_700_000_000,
      body: '{"name":"café ✓"}',
      key: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
    });
    // Computed independently with openssl over the UTF-8 bytes of `msg_2.1700000000.{"name":"café ✓"}`.
    expect(headers["webhook-signature"]).toBe("v1,W9ck0NYvcqH2/jFGwbtNgSRVp7JxDIgsQcSLgkDRmeI=");
  });

  it("produces headers the official standardwebhooks verifier accepts", () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({
      id: "msg_1",
      timestampSeconds: nowSeconds(),
      body,
      key: parseWebhookSecret(secret),
    });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  describe("is rejected by the official verifier when", () => {
    const secret = generateWebhookSecret();
    const sign = (): ReturnType<typeof signWebhook> =>
      signWebhook({ id: "msg_1", timestampSeconds: nowSeconds(), body, key: parseWebhookSecret(secret) });

    it("the body is modified", () => {
      expect(() => new Webhook(secret).verify(body.replace("123", "124"), { ...sign() })).toThrow(
        "No matching signature found",
      );
    });

    it("the id is different", () => {
      expect(() => new Webhook(secret).verify(body, { ...sign(), "webhook-id": "msg_2" })).toThrow(
        "No matching signature found",
      );
    });

    it("the timestamp is different", () => {
      const headers = sign();
      const timestamp = String(Number(headers["webhook-timestamp"]) - 1);
      expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-timestamp": timestamp })).toThrow(
        "No matching signature found",
      );
    });

    it("it was signed with another secret", () => {
      expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...sign() })).toThrow(
        "No matching signature found",
      );
    });
  });

  for (const timestampSeconds of [1.5, -1, Number.NaN, 1e21]) {
    it(`refuses timestampSeconds ${timestampSeconds}, which no receiver could verify`, () => {
      expect(() => signWebhook({ id: "msg_1", timestampSeconds, body, key: Buffer.alloc(32) })).toThrow(
        RangeError,
      );
    });
  }
});
