import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { checkListenTransport, type ListenTransport } from "./listen-transport.js";

const TLS = { certPath: "/etc/keyward/cert.pem", keyPath: "/etc/keyward/key.pem" };

const ALLOWED: readonly (readonly [
  host: string,
  tls: typeof TLS | null,
  insecureHttp: boolean,
  expected: ListenTransport,
])[] = [
  ["127.0.0.1", null, false, "loopback-http"],
  ["localhost", null, false, "loopback-http"],
  ["::1", null, false, "loopback-http"],
  ["127.0.0.1", null, true, "loopback-http"],
  ["0.0.0.0", TLS, false, "https"],
  ["::", TLS, false, "https"],
  ["127.0.0.1", TLS, false, "https"],
  ["0.0.0.0", TLS, true, "https"],
  ["0.0.0.0", null, true, "insecure-http"],
  ["10.1.2.3", null, true, "insecure-http"],
];

describe("checkListenTransport()", () => {
  it.each(ALLOWED)(
    "allows host %s with tls %o and insecureHttp %s as %s",
    (host, tls, insecureHttp, expected) => {
      expect(checkListenTransport({ host, tls, insecureHttp })).toBe(expected);
    },
  );

  it.each(["0.0.0.0", "::", "192.0.2.10", "2001:db8::1", "keyward.internal"])(
    "refuses plain HTTP on the non-loopback host %s, naming both ways out",
    async (host) => {
      const error = await expectKeywardError(
        () => checkListenTransport({ host, tls: null, insecureHttp: false }),
        "CONFIG_INVALID",
      );
      expect(error.message).toContain(host);
      expect(error.message).toContain("KEYWARD_TLS_CERT");
      expect(error.message).toContain("--insecure-http");
      expect(error.errors).toEqual([{ pointer: "/KEYWARD_HOST", detail: error.message }]);
    },
  );
});
