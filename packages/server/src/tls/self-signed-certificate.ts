// @peculiar/x509 resolves its ASN.1 types through tsyringe, which needs the Reflect metadata API; it must be
// loaded before the library (an ES module evaluates its imports in order).
import "reflect-metadata";
import { KeyObject, randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { invalidField } from "@keyward/core/keyward-error.js";
import * as x509 from "@peculiar/x509";

/** A development certificate and its key, both PEM. */
export interface SelfSignedCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM. Key material: write it to a 0600 file, never to a log. */
  readonly keyPem: string;
  /** Every name and address the certificate is valid for. */
  readonly names: readonly string[];
  readonly notAfterMs: number;
}

/** The names every development certificate covers, so `https://localhost` and loopback addresses work. */
export const LOOPBACK_NAMES: readonly string[] = ["localhost", "127.0.0.1", "::1"];

/** How long a development certificate is valid by default; short, like the ACME certificates it stands in for. */
export const SELF_SIGNED_VALIDITY_DAYS = 90;

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const SERVER_AUTH_OID = "1.3.6.1.5.5.7.3.1";
const HOSTNAME =
  /^(?=.{1,253}$)(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
// Clients whose clock is a little behind still accept a certificate made a moment ago.
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Makes a self-signed ECDSA P-256 certificate for development: valid for localhost, 127.0.0.1 and ::1 plus
 * `hostnames` (DNS names or IP addresses), from `nowMs` for `validityDays`, usable only to serve TLS.
 */
export async function createSelfSignedCertificate(options: {
  hostnames: readonly string[];
  nowMs: number;
  validityDays?: number;
}): Promise<SelfSignedCertificate> {
  const names = [...new Set([...LOOPBACK_NAMES, ...options.hostnames.map(normalizeHostname)])];
  const notAfterMs = options.nowMs + (options.validityDays ?? SELF_SIGNED_VALIDITY_DAYS) * 86_400_000;
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ["sign", "verify"]);
  const serial = randomBytes(16);
  // A positive serial number: DER integers are signed.
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString("hex"),
      name: "CN=Keyward development certificate",
      notBefore: new Date(options.nowMs - CLOCK_SKEW_MS),
      notAfter: new Date(notAfterMs),
      keys,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new x509.SubjectAlternativeNameExtension(
          names.map((name) => ({ type: isIP(name) === 0 ? "dns" : "ip", value: name })),
        ),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([SERVER_AUTH_OID]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const keyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString();
  // The library's PEM has no final newline; files (and chains made by appending them) need one.
  const certPem = `${certificate.toString("pem").trimEnd()}\n`;
  return Object.freeze({ certPem, keyPem, names, notAfterMs });
}

/** A DNS name (lower-cased, a leading `*.` allowed) or an IP address; anything else is a VALIDATION_ERROR. */
function normalizeHostname(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (isIP(name) !== 0 || HOSTNAME.test(name)) return name;
  throw invalidField("/hostname", `must be a DNS name or an IP address, not "${raw.slice(0, 80)}"`);
}
