import { isIPv4 } from "node:net";
import { invalidField } from "@keyward/core/keyward-error.js";

/** Options for {@link checkWebhookUrl}. */
export interface CheckWebhookUrlOptions {
  /** Accept `http:` to any host, for private networks that terminate TLS elsewhere; loopback hosts always may. */
  allowInsecureHttp: boolean;
}

const MAX_URL_LENGTH = 2048;

/**
 * Returns the normalized form of a webhook endpoint URL, or throws VALIDATION_ERROR on `/url`.
 * The details never echo the URL: its query may hold the receiver's token.
 * This is about transport security only; it does not stop https to private addresses (SSRF is the sender's job).
 */
export function checkWebhookUrl(url: string, options: CheckWebhookUrlOptions): string {
  // Checked before parsing too, so an oversized input costs nothing to refuse.
  if (typeof url !== "string" || url.length > MAX_URL_LENGTH) {
    throw invalidField("/url", `must be at most ${MAX_URL_LENGTH} characters`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidField("/url", "must be an absolute http or https URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalidField("/url", "must be an absolute http or https URL");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw invalidField(
      "/url",
      "must not contain a username or password, because credentials do not belong in URLs",
    );
  }
  // `hash` is "" for both no fragment and an empty one ("…/#"); the serialized form tells them apart, since a
  // "#" anywhere else is percent-encoded.
  if (parsed.href.includes("#")) {
    throw invalidField("/url", "must not have a fragment, because it is never sent to the receiver");
  }
  if (parsed.protocol === "http:" && !options.allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    throw invalidField("/url", "must use https, since plain http is only accepted for loopback hosts");
  }
  // Normalizing can lengthen the URL (percent-encoding, punycode), and the stored form is what must fit.
  if (parsed.href.length > MAX_URL_LENGTH) {
    throw invalidField("/url", `must be at most ${MAX_URL_LENGTH} characters`);
  }
  return parsed.href;
}

/** `hostname` as the URL parser normalized it: lower case, IPv4 in dotted decimal, IPv6 in brackets. */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]") return true;
  // The parser has already turned "127.1", "0x7f.0.0.1" and "2130706433" into dotted decimal.
  return isIPv4(hostname) && hostname.startsWith("127.");
}
