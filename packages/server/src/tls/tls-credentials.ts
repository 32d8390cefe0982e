import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Config } from "../config.js";

/** Where the PEM files are: `KEYWARD_TLS_CERT` and `KEYWARD_TLS_KEY`. */
export type TlsFiles = NonNullable<Config["tls"]>;

/** A certificate chain and its private key, read from PEM files and checked to belong together. */
export interface TlsCredentials {
  /** The PEM certificate chain, leaf first, as Node's `cert` option takes it. */
  readonly cert: Buffer;
  /** The PEM private key. Key material: pass it to Node's TLS options only, never to a log line or an error. */
  readonly key: Buffer;
  /** The leaf certificate's SHA-256 fingerprint as Node formats it (`AB:CD:…`): what a client pins or compares. */
  readonly fingerprint256: string;
  readonly subject: string;
  /** The names the certificate is valid for, as Node prints them (`DNS:localhost, IP Address:127.0.0.1`). */
  readonly subjectAltName: string | null;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

const PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
const PEM_END = "-----END CERTIFICATE-----";

/**
 * Reads the certificate and key files and checks them as a TLS listener would: the certificate is PEM, the key is
 * an unencrypted PEM private key, the key belongs to the leaf certificate, and OpenSSL accepts the pair. Failures
 * are TLS_CERTIFICATE_INVALID or TLS_KEY_MISMATCH and name the file, never its content. Validity dates are not
 * enforced here: an expired certificate still serves (with a warning, see {@link describeCertificateValidity}),
 * since refusing to start would turn a renewal that came late into an outage.
 */
export async function readTlsCredentials(files: TlsFiles): Promise<TlsCredentials> {
  const [cert, key] = await Promise.all([
    readPem(files.certPath, "KEYWARD_TLS_CERT"),
    readPem(files.keyPath, "KEYWARD_TLS_KEY"),
  ]);
  const leafPem = firstCertificate(cert);
  if (leafPem === null) {
    throw invalid(`KEYWARD_TLS_CERT (${files.certPath}) does not hold a PEM certificate.`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (cause) {
    throw invalid(`KEYWARD_TLS_CERT (${files.certPath}) does not hold a valid PEM certificate.`, cause);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    // PKCS#8 ("ENCRYPTED PRIVATE KEY") and traditional ("Proc-Type: 4,ENCRYPTED") encrypted PEM both say so.
    const encrypted = key.includes("ENCRYPTED");
    throw invalid(
      encrypted
        ? `KEYWARD_TLS_KEY (${files.keyPath}) is encrypted; Keyward needs the key without a passphrase.`
        : `KEYWARD_TLS_KEY (${files.keyPath}) does not hold a PEM private key.`,
      // Safe to keep: OpenSSL's decoder errors name the routine that failed, never the input.
      cause,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new KeywardError(
      "TLS_KEY_MISMATCH",
      `The private key in KEYWARD_TLS_KEY (${files.keyPath}) does not belong to the certificate in ` +
        `KEYWARD_TLS_CERT (${files.certPath}).`,
    );
  }
  try {
    // What the listener itself will do with the pair: catches what the checks above do not (a broken chain).
    createSecureContext({ cert, key });
  } catch (cause) {
    throw invalid(
      `OpenSSL refused the certificate in KEYWARD_TLS_CERT (${files.certPath}) with its key: ${reason(cause)}.`,
    );
  }
  return Object.freeze({
    cert,
    key,
    fingerprint256: leaf.fingerprint256,
    subject: leaf.subject.replaceAll("\n", ", "),
    subjectAltName: leaf.subjectAltName ?? null,
    notBeforeMs: Date.parse(leaf.validFrom),
    notAfterMs: Date.parse(leaf.validTo),
  });
}

/** How long before expiry a certificate is worth a warning at start and on reload. */
export const EXPIRY_WARNING_MS = 14 * 86_400_000;

/**
 * A one-sentence warning when the certificate is expired, not valid yet, or expires within
 * {@link EXPIRY_WARNING_MS}; null when it is fine at `nowMs`.
 */
export function describeCertificateValidity(
  credentials: Pick<TlsCredentials, "notBeforeMs" | "notAfterMs">,
  nowMs: number,
): string | null {
  const until = new Date(credentials.notAfterMs).toISOString();
  if (nowMs > credentials.notAfterMs) {
    return `The TLS certificate expired at ${until}: clients will refuse it until it is renewed.`;
  }
  if (nowMs < credentials.notBeforeMs) {
    const from = new Date(credentials.notBeforeMs).toISOString();
    return `The TLS certificate is not valid before ${from}: clients will refuse it until then.`;
  }
  if (credentials.notAfterMs - nowMs < EXPIRY_WARNING_MS) {
    return `The TLS certificate expires at ${until}: renew it and send SIGHUP to load the new one.`;
  }
  return null;
}

/** The first PEM certificate of a chain file, the leaf by convention; X509Certificate parses only one. */
function firstCertificate(pem: Buffer): Buffer | null {
  const begin = pem.indexOf(PEM_BEGIN);
  const end = begin === -1 ? -1 : pem.indexOf(PEM_END, begin);
  return end === -1 ? null : pem.subarray(begin, end + PEM_END.length);
}

async function readPem(path: string, variable: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw invalid(`${variable} (${path}) cannot be read: ${reason(cause)}.`, cause);
  }
}

function invalid(message: string, cause?: unknown): KeywardError {
  return new KeywardError("TLS_CERTIFICATE_INVALID", message, cause === undefined ? {} : { cause });
}

/** A system or OpenSSL error's code or first line: neither quotes the files' content. */
function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? (error.message.split("\n", 1)[0] ?? "unknown error") : "unknown error";
}
