import { createHmac } from "node:crypto";

/** The three headers a Standard Webhooks receiver verifies. */
export interface SignedWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Input of {@link signWebhook}. */
export interface SignWebhookInput {
  /** Message id; the same for every retry of one delivery, so receivers can drop duplicates. */
  id: string;
  /** Unix time in whole seconds. */
  timestampSeconds: number;
  /** The exact body that will be sent. */
  body: string;
  /** The HMAC key, as returned by `parseWebhookSecret()`. */
  key: Buffer;
}

/** Signs a webhook per Standard Webhooks: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signWebhook(input: SignWebhookInput): SignedWebhookHeaders {
  const { id, timestampSeconds, body, key } = input;
  // "1.5" or "1e+21" would be signed as is, and no receiver would ever accept it.
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`Expected timestampSeconds to be a non-negative integer, got ${timestampSeconds}.`);
  }
  const timestamp = String(timestampSeconds);
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`, "utf8").digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` };
}
