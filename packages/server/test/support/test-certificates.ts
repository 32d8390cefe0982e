import { X509Certificate } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from "../../src/tls/self-signed-certificate.js";

/** A certificate made for a test, with its SHA-256 fingerprint as a TLS peer reports it. */
export interface TestCertificate extends SelfSignedCertificate {
  readonly fingerprint256: string;
}

/** Makes a fresh self-signed certificate for localhost (and loopback addresses), valid from `nowMs`. */
export async function makeTestCertificate(
  options: { nowMs?: number; validityDays?: number } = {},
): Promise<TestCertificate> {
  const made = await createSelfSignedCertificate({
    hostnames: [],
    nowMs: options.nowMs ?? Date.now(),
    ...(options.validityDays === undefined ? {} : { validityDays: options.validityDays }),
  });
  return { ...made, fingerprint256: new X509Certificate(made.certPem).fingerprint256 };
}

/**
 * Writes `certificate` to `<dir>/cert.pem` and `<dir>/key.pem`, each replaced by a rename so a server reading them
 * never sees half a file; returns the paths as `KEYWARD_TLS_CERT` and `KEYWARD_TLS_KEY` take them.
 */
export function writeTestCertificate(
  dir: string,
  certificate: Pick<SelfSignedCertificate, "certPem" | "keyPem">,
): { certPath: string; keyPath: string } {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  writeFileSync(`${keyPath}.tmp`, certificate.keyPem, { mode: 0o600 });
  writeFileSync(`${certPath}.tmp`, certificate.certPem);
  renameSync(`${keyPath}.tmp`, keyPath);
  renameSync(`${certPath}.tmp`, certPath);
  return { certPath, keyPath };
}
