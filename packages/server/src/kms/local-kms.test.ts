import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { describeKmsConformance } from "./kms.conformance.js";
import { LocalKms } from "./local-kms.js";
import { loadOrCreateMasterKeyring, MASTER_KEY_FILE, readMasterKeyring } from "./master-key.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh keyring file of one version, as `keyward init` leaves it. */
function keyringFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-local-kms-"));
  dirs.push(dir);
  return join(dir, MASTER_KEY_FILE);
}

function openFileKms(): LocalKms {
  const file = keyringFile();
  return new LocalKms(loadOrCreateMasterKeyring(join(file, "..")), { file });
}

describeKmsConformance("LocalKms (keyring file)", async () => openFileKms());

describe("LocalKms", () => {
  it("rejects a master key that is not exactly 32 bytes with MASTER_KEY_INVALID", async () => {
    for (const length of [0, 16, 31, 33, 64]) {
      await expectKeywardError(() => new LocalKms(randomBytes(length)), "MASTER_KEY_INVALID");
    }
  });

  it("gives two different master keys different keyIds, and one master key the same keyId", () => {
    const master = randomBytes(32);
    expect(new LocalKms(master).keyId).toBe(new LocalKms(Buffer.from(master)).keyId);
    expect(new LocalKms(master).keyId).not.toBe(new LocalKms(randomBytes(32)).keyId);
  });

  it("derives keyId from a fingerprint that does not contain the master key", () => {
    const master = randomBytes(32);
    const { keyId } = new LocalKms(master);
    expect(keyId).toMatch(/^local:[0-9a-f]{16}$/);
    for (const encoding of ["hex", "base64", "base64url"] as const) {
      expect(keyId).not.toContain(master.toString(encoding));
      expect(keyId).not.toContain(master.subarray(0, 8).toString(encoding));
    }
  });

  it("keeps its own copy of the master key, so zeroing the caller's buffer changes nothing", async () => {
    const master = randomBytes(32);
    const kms = new LocalKms(master);
    const dataKey = await kms.generateDataKey("pepper");
    master.fill(0);
    expect((await kms.unwrapDataKey(dataKey.wrapped, "pepper")).equals(dataKey.plaintext)).toBe(true);
  });
});

describe("LocalKms master key versions", () => {
  it("takes versions from KEYWARD_MASTER_KEY (oldest first, last current), but cannot make or retire them", async () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const older = new LocalKms(a);
    const sealedEarlier = await older.generateDataKey("pepper");
    const kms = new LocalKms([a, b]);
    expect(kms.keyId).toBe(new LocalKms(b).keyId);
    const opened = await kms.unwrapDataKey(sealedEarlier.wrapped, "pepper", older.keyId);
    expect(opened.equals(sealedEarlier.plaintext)).toBe(true);
    await expectKeywardError(kms.createKeyVersion(), "CONFLICT");
    await expectKeywardError(kms.retireKeyVersion(older.keyId), "CONFLICT");
  });

  it("writes new versions to the keyring file (0600), and another process's LocalKms follows the file", async () => {
    const file = keyringFile();
    const keys = loadOrCreateMasterKeyring(join(file, ".."));
    const rotator = new LocalKms(keys, { file });
    const server = new LocalKms(keys, { file });
    const before = server.keyId;
    const second = await rotator.createKeyVersion();
    expect(readMasterKeyring(file)).toHaveLength(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The server learns the new version when it meets data sealed under it, or when it next seals anything.
    const sealed = await rotator.generateDataKey("webhook");
    expect((await server.unwrapDataKey(sealed.wrapped, "webhook", second)).equals(sealed.plaintext)).toBe(
      true,
    );
    expect(server.keyId).toBe(second);
    expect(server.keyId).not.toBe(before);
  });

  it("refuses a keyring file with a line that is not a 32-byte key", () => {
    const file = keyringFile();
    writeFileSync(file, `${randomBytes(32).toString("base64")}\nnot a key\n`, { mode: 0o600 });
    expect(() => readMasterKeyring(file)).toThrow(/Line 2/);
  });
});
