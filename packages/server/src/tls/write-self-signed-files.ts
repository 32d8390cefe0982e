import { X509Certificate } from "node:crypto";
import { mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { createSelfSignedCertificate } from "./self-signed-certificate.js";

/** Where `keyward init --self-signed` writes, inside the data directory. */
export const TLS_DIR = "tls";
export const CERT_FILE = "cert.pem";
export const KEY_FILE = "key.pem";

/** What {@link writeSelfSignedFiles} wrote, or found already there. */
export interface SelfSignedFiles {
  /** Absolute paths, ready for `KEYWARD_TLS_CERT` and `KEYWARD_TLS_KEY`. */
  readonly certPath: string;
  readonly keyPath: string;
  /** False when both files were already there and were left as they are. */
  readonly created: boolean;
  /** The certificate's names (`DNS:localhost, IP Address:127.0.0.1, …`). */
  readonly subjectAltName: string;
  readonly notAfterMs: number;
}

/**
 * Writes a development certificate to `<dataDir>/tls/cert.pem` and its key to `key.pem` (mode 0600, in a 0700
 * directory). Existing files are never overwritten: with both present it reports them (run it again safely);
 * with only one present it refuses, since a new pair would not match the file left behind.
 */
export async function writeSelfSignedFiles(options: {
  dataDir: string;
  hostnames: readonly string[];
  nowMs: number;
}): Promise<SelfSignedFiles> {
  const dir = resolve(options.dataDir, TLS_DIR);
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const [existingCert, keyExists] = await Promise.all([readIfPresent(certPath), exists(keyPath)]);
  if (existingCert !== null && keyExists) {
    const leaf = new X509Certificate(existingCert);
    return describe(certPath, keyPath, false, leaf.subjectAltName ?? "", Date.parse(leaf.validTo));
  }
  if (existingCert !== null || keyExists) {
    throw new KeywardError(
      "CONFLICT",
      `Only one of ${certPath} and ${keyPath} exists: remove it to make a new certificate and key.`,
    );
  }
  const made = await createSelfSignedCertificate({ hostnames: options.hostnames, nowMs: options.nowMs });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // "wx": never replace a file that appeared meanwhile; the key is 0600 from its first byte.
  await writeFile(keyPath, made.keyPem, { mode: 0o600, flag: "wx" });
  try {
    await writeFile(certPath, made.certPem, { mode: 0o644, flag: "wx" });
  } catch (error) {
    // Leave no lone key behind: it would make every later run refuse.
    await unlink(keyPath);
    throw error;
  }
  const leaf = new X509Certificate(made.certPem);
  return describe(certPath, keyPath, true, leaf.subjectAltName ?? "", Date.parse(leaf.validTo));
}

function describe(
  certPath: string,
  keyPath: string,
  created: boolean,
  subjectAltName: string,
  notAfterMs: number,
): SelfSignedFiles {
  return Object.freeze({ certPath, keyPath, created, subjectAltName, notAfterMs });
}

async function readIfPresent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return false;
    throw error;
  }
}
