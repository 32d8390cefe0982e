import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { createSelfSignedCertificate, SELF_SIGNED_VALIDITY_DAYS } from "./self-signed-certificate.js";

const NOW_MS = Date.parse("2026-11-28T09:00:00.000Z");

describe("createSelfSignedCertificate()", () => {
  it("covers localhost, 127.0.0.1 and ::1 plus the names given, for 90 days from now, with its own key", async () => {
    const made = await createSelfSignedCertificate({
      hostnames: ["API.Example.test", "192.0.2.7", "localhost"],
      nowMs: NOW_MS,
    });
    const cert = new X509Certificate(made.certPem);
    expect(cert.subjectAltName).toBe(
      "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:api.example.test, IP Address:192.0.2.7",
    );
    expect(made.names).toEqual(["localhost", "127.0.0.1", "::1", "api.example.test", "192.0.2.7"]);
    expect(Date.parse(cert.validTo)).toBe(NOW_MS + SELF_SIGNED_VALIDITY_DAYS * 86_400_000);
    expect(made.notAfterMs).toBe(NOW_MS + 90 * 86_400_000);
    // A few minutes early, so a client whose clock lags accepts it at once.
    expect(Date.parse(cert.validFrom)).toBe(NOW_MS - 5 * 60_000);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.checkPrivateKey(createPrivateKey(made.keyPem))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(made.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("gives every certificate its own key and a positive random serial number", async () => {
    const [a, b] = await Promise.all([
      createSelfSignedCertificate({ hostnames: [], nowMs: NOW_MS }),
      createSelfSignedCertificate({ hostnames: [], nowMs: NOW_MS }),
    ]);
    const [certA, certB] = [new X509Certificate(a.certPem), new X509Certificate(b.certPem)];
    expect(certA.serialNumber).not.toBe(certB.serialNumber);
    expect(a.keyPem).not.toBe(b.keyPem);
    for (const cert of [certA, certB])
      expect(Number.parseInt(cert.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
  });

  it.each(["", "has space", "under_score.example", "-leading.example", "a..b", `${"a".repeat(64)}.example`])(
    "refuses the hostname %j with VALIDATION_ERROR",
    async (hostname) => {
      const error = await expectKeywardError(
        createSelfSignedCertificate({ hostnames: [hostname], nowMs: NOW_MS }),
        "VALIDATION_ERROR",
      );
      expect(error.errors?.[0]?.pointer).toBe("/hostname");
    },
  );

  it("accepts a wildcard name", async () => {
    const made = await createSelfSignedCertificate({ hostnames: ["*.dev.example"], nowMs: NOW_MS });
    expect(new X509Certificate(made.certPem).subjectAltName).toContain("DNS:*.dev.example");
  });
});
