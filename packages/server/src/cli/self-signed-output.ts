import type { SelfSignedFiles } from "../tls/write-self-signed-files.js";
import type { Output } from "./output.js";

/** The `tls` member of `keyward init --self-signed --json`. */
export function selfSignedJson(files: SelfSignedFiles): Record<string, unknown> {
  return {
    certPath: files.certPath,
    keyPath: files.keyPath,
    created: files.created,
    subjectAltName: files.subjectAltName,
    notAfter: new Date(files.notAfterMs).toISOString(),
  };
}

/** Tells what `keyward init --self-signed` wrote and the two lines that make `keyward serve` use it. */
export function printSelfSigned(out: Output, files: SelfSignedFiles): void {
  const until = new Date(files.notAfterMs).toISOString().slice(0, 10);
  out.line(
    files.created
      ? `Wrote a self-signed development certificate (${files.subjectAltName}; valid until ${until}).`
      : `Kept the development certificate already there (${files.subjectAltName}; valid until ${until}).`,
  );
  out.line("Serve HTTPS with it:");
  out.line();
  out.line(`  export KEYWARD_TLS_CERT=${shellQuote(files.certPath)}`);
  out.line(`  export KEYWARD_TLS_KEY=${shellQuote(files.keyPath)}`);
  out.line();
  out.line(
    `Clients trust it with NODE_EXTRA_CA_CERTS=${shellQuote(files.certPath)} (Node), or curl --cacert; ` +
      "browsers will warn. For development only: see docs/https.md.",
  );
  out.line();
}

/** A path as one shell word: left bare when it is plain, single-quoted otherwise. */
function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
