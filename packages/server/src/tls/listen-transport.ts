import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Config } from "../config.js";
import { isLoopbackAddress } from "./loopback-address.js";

/**
 * How the API is served: `https`; `loopback-http`, plain HTTP only this machine can reach; or `insecure-http`,
 * plain HTTP on a network address, allowed by `insecureHttp` for a TLS-terminating proxy in front.
 */
export type ListenTransport = "https" | "loopback-http" | "insecure-http";

/**
 * Decides how the API may listen, and refuses plain HTTP on a non-loopback address unless it was asked for:
 * bearer tokens and API keys must not cross a network in clear text because TLS was forgotten.
 */
export function checkListenTransport(config: Pick<Config, "host" | "tls" | "insecureHttp">): ListenTransport {
  if (config.tls !== null) return "https";
  if (isLoopbackAddress(config.host)) return "loopback-http";
  if (config.insecureHttp) return "insecure-http";
  const detail =
    `Refusing to serve plain HTTP on ${config.host}, which is not a loopback address: set KEYWARD_TLS_CERT and ` +
    "KEYWARD_TLS_KEY, or pass --insecure-http (KEYWARD_INSECURE_HTTP=true) when a TLS-terminating proxy is in front.";
  throw new KeywardError("CONFIG_INVALID", detail, { errors: [{ pointer: "/KEYWARD_HOST", detail }] });
}
