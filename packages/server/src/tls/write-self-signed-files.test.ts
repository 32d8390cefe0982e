import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { readTlsCredentials } from "./tls-credentials.js";
import { writeSelfSignedFiles } from "./write-self-signed-files.js";

const NOW_MS = Date.now();
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "keyward-selfsigned-"));
  return () => rmSync(dataDir, { recursive: true, force: true });
});

describe("writeSelfSignedFiles()", () => {
  it("writes <dataDir>/tls/cert.pem and a 0600 key.pem that the server accepts as a pair", async () => {
    const files = await writeSelfSignedFiles({ dataDir, hostnames: ["dev.example"], nowMs: NOW_MS });
    expect(files).toMatchObject({
      certPath: join(dataDir, "tls", "cert.pem"),
      keyPath: join(dataDir, "tls", "key.pem"),
      created: true,
    });
    expect(files.subjectAltName).toContain("DNS:dev.example");
    expect(statSync(files.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "tls")).mode & 0o077).toBe(0);
    const credentials = await readTlsCredentials(files);
    expect(credentials.notAfterMs).toBe(files.notAfterMs);
  });

  it("keeps an existing pair on a second run and reports it as not created", async () => {
    const first = await writeSelfSignedFiles({ dataDir, hostnames: [], nowMs: NOW_MS });
    const cert = readFileSync(first.certPath, "utf8");
    const again = await writeSelfSignedFiles({ dataDir, hostnames: ["other.example"], nowMs: NOW_MS });
    expect(again).toEqual({
      ...first,
      created: false,
      notAfterMs: Date.parse(new X509Certificate(cert).validTo),
    });
    expect(readFileSync(again.certPath, "utf8")).toBe(cert);
  });

  it.each(["cert.pem", "key.pem"])("refuses with CONFLICT when only %s is there", async (file) => {
    mkdirSync(join(dataDir, "tls"));
    writeFileSync(join(dataDir, "tls", file), "left behind");
    const error = await expectKeywardError(
      writeSelfSignedFiles({ dataDir, hostnames: [], nowMs: NOW_MS }),
      "CONFLICT",
    );
    expect(error.message).toContain("remove it");
    expect(readFileSync(join(dataDir, "tls", file), "utf8")).toBe("left behind");
  });
});
