import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import {
  makeTestCertificate,
  type TestCertificate,
  writeTestCertificate,
} from "../../test/support/test-certificates.js";
import { describeCertificateValidity, EXPIRY_WARNING_MS, readTlsCredentials } from "./tls-credentials.js";

let dir: string;
let first: TestCertificate;
let second: TestCertificate;

beforeAll(async () => {
  [first, second] = await Promise.all([makeTestCertificate(), makeTestCertificate()]);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyward-tls-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

/** The base64 body of a PEM key: what must never appear in an error. */
function keyBody(pem: string): string {
  return pem.split("\n")[1] ?? "";
}

describe("readTlsCredentials()", () => {
  it("reads a matching PEM pair and reports the leaf's fingerprint, names and validity", async () => {
    const files = writeTestCertificate(dir, first);
    const credentials = await readTlsCredentials(files);
    expect(credentials.cert.toString()).toBe(first.certPem);
    expect(credentials.key.toString()).toBe(first.keyPem);
    expect(credentials.fingerprint256).toBe(first.fingerprint256);
    expect(credentials.subjectAltName).toContain("DNS:localhost");
    expect(credentials.notAfterMs).toBe(first.notAfterMs - (first.notAfterMs % 1000));
    expect(credentials.notBeforeMs).toBeLessThan(Date.now());
  });

  it("accepts a chain file whose first certificate is the leaf", async () => {
    const files = writeTestCertificate(dir, {
      certPem: first.certPem + second.certPem,
      keyPem: first.keyPem,
    });
    expect((await readTlsCredentials(files)).fingerprint256).toBe(first.fingerprint256);
  });

  it("refuses a key from another certificate with TLS_KEY_MISMATCH naming both files", async () => {
    const files = writeTestCertificate(dir, { certPem: first.certPem, keyPem: second.keyPem });
    const error = await expectKeywardError(readTlsCredentials(files), "TLS_KEY_MISMATCH");
    expect(error.message).toContain(files.certPath);
    expect(error.message).toContain(files.keyPath);
    expect(error.message).not.toContain(keyBody(second.keyPem));
  });

  const BROKEN: readonly (readonly [what: string, cert: () => string, key: () => string, says: string])[] = [
    [
      "a certificate file that is not PEM",
      () => "hello",
      () => first.keyPem,
      "does not hold a PEM certificate",
    ],
    [
      "a corrupted PEM certificate",
      () => "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      () => first.keyPem,
      "does not hold a valid PEM certificate",
    ],
    [
      "a key file holding a certificate",
      () => first.certPem,
      () => first.certPem,
      "does not hold a PEM private key",
    ],
    [
      "a key with a passphrase",
      () => first.certPem,
      () =>
        createPrivateKey(first.keyPem)
          .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" })
          .toString(),
      "is encrypted",
    ],
  ];

  it.each(BROKEN)("refuses %s with TLS_CERTIFICATE_INVALID", async (_what, cert, key, says) => {
    const files = writeTestCertificate(dir, { certPem: cert(), keyPem: key() });
    const error = await expectKeywardError(readTlsCredentials(files), "TLS_CERTIFICATE_INVALID");
    expect(error.message).toContain(says);
    expect(error.message).not.toContain(keyBody(first.keyPem));
  });

  it("refuses a missing file with TLS_CERTIFICATE_INVALID naming its variable and path", async () => {
    const files = writeTestCertificate(dir, first);
    const missing = join(dir, "absent.pem");
    const error = await expectKeywardError(
      readTlsCredentials({ ...files, keyPath: missing }),
      "TLS_CERTIFICATE_INVALID",
    );
    expect(error.message).toBe(`KEYWARD_TLS_KEY (${missing}) cannot be read: ENOENT.`);
  });

  it("refuses a key of another algorithm with TLS_KEY_MISMATCH", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const keyPem = rsa.export({ type: "pkcs8", format: "pem" }).toString();
    const files = writeTestCertificate(dir, { certPem: first.certPem, keyPem });
    await expectKeywardError(readTlsCredentials(files), "TLS_KEY_MISMATCH");
  });
});

describe("describeCertificateValidity()", () => {
  const notBeforeMs = Date.parse("2026-11-01T00:00:00.000Z");
  const notAfterMs = Date.parse("2027-01-30T00:00:00.000Z");
  const CASES: readonly (readonly [when: string, nowMs: number, warning: string | null])[] = [
    ["well within its validity", notBeforeMs + 86_400_000, null],
    ["exactly at the start of the warning window", notAfterMs - EXPIRY_WARNING_MS, null],
    [
      "inside the warning window",
      notAfterMs - EXPIRY_WARNING_MS + 1,
      "The TLS certificate expires at 2027-01-30T00:00:00.000Z: renew it and send SIGHUP to load the new one.",
    ],
    [
      "after it expired",
      notAfterMs + 1,
      "The TLS certificate expired at 2027-01-30T00:00:00.000Z: clients will refuse it until it is renewed.",
    ],
    [
      "before it is valid",
      notBeforeMs - 1,
      "The TLS certificate is not valid before 2026-11-01T00:00:00.000Z: clients will refuse it until then.",
    ],
  ];
  it.each(CASES)("warns %s: %s", (_when, nowMs, warning) => {
    expect(describeCertificateValidity({ notBeforeMs, notAfterMs }, nowMs)).toBe(warning);
  });
});
