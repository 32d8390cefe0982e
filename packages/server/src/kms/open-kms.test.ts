import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { createSoftHsm, SOFTHSM_MODULE, softHsmAvailable } from "../../test/support/softhsm.js";
import { parseConfig } from "../config.js";
import { LocalKms } from "./local-kms.js";
import { MASTER_KEY_FILE } from "./master-key.js";
import { closeKms, openKms, readPinFile } from "./open-kms.js";
import { Pkcs11Kms } from "./pkcs11-kms.js";

const available = await softHsmAvailable();
const hsm = available ? createSoftHsm() : null;
const token = hsm?.initToken("keyward-open-kms") ?? { label: "", pin: "" };
if (hsm !== null) process.env.SOFTHSM2_CONF = hsm.conf;

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-open-kms-"));
  dirs.push(dir);
  return dir;
}

function pinFile(content: string, mode: number): string {
  const path = join(tempDir(), "pin");
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  hsm?.remove();
});

describe("openKms()", () => {
  it("opens a LocalKms on the data directory's master.key by default", () => {
    const dataDir = tempDir();
    const kms = openKms(parseConfig({ KEYWARD_DATA_DIR: dataDir }));
    expect(kms).toBeInstanceOf(LocalKms);
    expect(existsSync(join(dataDir, MASTER_KEY_FILE))).toBe(true);
    closeKms(kms);
  });

  describe.skipIf(!available)("with KEYWARD_KMS=pkcs11 (SoftHSM2)", () => {
    const env = (pinPath: string, dataDir: string) => ({
      KEYWARD_DATA_DIR: dataDir,
      KEYWARD_KMS: "pkcs11",
      KEYWARD_PKCS11_MODULE: SOFTHSM_MODULE,
      KEYWARD_PKCS11_TOKEN_LABEL: token.label,
      KEYWARD_PKCS11_PIN_FILE: pinPath,
    });

    it("opens a Pkcs11Kms with the PIN file's PIN, makes the first version in the token, and writes no master.key", async () => {
      const dataDir = tempDir();
      const kms = openKms(parseConfig(env(pinFile(`${token.pin}\n`, 0o600), dataDir)));
      try {
        expect(kms).toBeInstanceOf(Pkcs11Kms);
        expect(kms.keyId).toBe(`pkcs11:${token.label}/keyward-master/v1`);
        const dataKey = await kms.generateDataKey("pepper");
        expect((await kms.unwrapDataKey(dataKey.wrapped, "pepper")).equals(dataKey.plaintext)).toBe(true);
        expect(existsSync(join(dataDir, MASTER_KEY_FILE))).toBe(false);
      } finally {
        closeKms(kms);
      }
      // A second start finds the version the first made.
      const again = openKms(parseConfig(env(pinFile(token.pin, 0o600), tempDir())));
      expect(await again.keyVersions()).toEqual([{ keyId: kms.keyId, current: true }]);
      closeKms(again);
    });

    it("refuses a PIN file group or others can read, before asking the token", async () => {
      const path = pinFile(token.pin, 0o640);
      const error = await expectKeywardError(
        () => openKms(parseConfig(env(path, tempDir()))),
        "CONFIG_INVALID",
      );
      expect(error.message).toContain(`chmod 600 ${path}`);
      expect(error.message).not.toContain(token.pin);
    });
  });
});

describe("readPinFile()", () => {
  it("reads the PIN without its line break, and refuses an empty, multi-line or missing file", async () => {
    expect(readPinFile(pinFile("1234\n", 0o600))).toBe("1234");
    expect(readPinFile(pinFile("12 34\r\n", 0o400))).toBe("12 34");
    await expectKeywardError(() => readPinFile(pinFile("\n", 0o600)), "CONFIG_INVALID");
    await expectKeywardError(() => readPinFile(pinFile("1234\n5678\n", 0o600)), "CONFIG_INVALID");
    await expectKeywardError(() => readPinFile(join(tempDir(), "absent")), "CONFIG_INVALID");
  });
});
