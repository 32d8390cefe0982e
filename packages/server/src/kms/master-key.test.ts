import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { loadOrCreateMasterKeyFile, MASTER_KEY_FILE } from "./master-key.js";

describe("loadOrCreateMasterKeyFile()", () => {
  let root: string;
  let dataDir: string;
  let keyFile: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "keyward-master-key-"));
    dataDir = join(root, "data");
    keyFile = join(dataDir, MASTER_KEY_FILE);
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("creates the data directory and a 0600 master.key holding 32 random bytes in base64", () => {
    expect(existsSync(dataDir)).toBe(false);
    const key = loadOrCreateMasterKeyFile(dataDir);
    expect(key).toHaveLength(32);
    expect(statSync(dataDir).isDirectory()).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, "utf8").trim()).toBe(key.toString("base64"));
  });

  it("creates the data directory readable by its owner only", () => {
    loadOrCreateMasterKeyFile(dataDir);
    expect(statSync(dataDir).mode & 0o077).toBe(0);
  });

  it("returns the same key on every later call", () => {
    const first = loadOrCreateMasterKeyFile(dataDir);
    const second = loadOrCreateMasterKeyFile(dataDir);
    expect(second.equals(first)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("gives different data directories different keys", () => {
    const a = loadOrCreateMasterKeyFile(join(root, "a"));
    const b = loadOrCreateMasterKeyFile(join(root, "b"));
    expect(a.equals(b)).toBe(false);
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    it(`refuses a master.key with mode 0${mode.toString(8)} with MASTER_KEY_INSECURE and never echoes the key`, async () => {
      const key = loadOrCreateMasterKeyFile(dataDir);
      chmodSync(keyFile, mode);
      const error = await expectKeywardError(() => loadOrCreateMasterKeyFile(dataDir), "MASTER_KEY_INSECURE");
      expect(error.message).toContain("chmod 600");
      expect(error.message).not.toContain(key.toString("base64"));
    });
  }

  it("accepts a master.key made stricter than 0600", () => {
    const key = loadOrCreateMasterKeyFile(dataDir);
    chmodSync(keyFile, 0o400);
    expect(loadOrCreateMasterKeyFile(dataDir).equals(key)).toBe(true);
  });

  for (const [label, content] of [
    ["garbage", "this is not a key\n"],
    ["31 bytes", `${Buffer.alloc(31, 1).toString("base64")}\n`],
    ["33 bytes", `${Buffer.alloc(33, 1).toString("base64")}\n`],
    ["an empty file", ""],
    [
      "32 bytes with a stray character",
      `${Buffer.alloc(32, 1).toString("base64").slice(0, 10)}!${Buffer.alloc(32, 1).toString("base64").slice(10)}`,
    ],
  ] as const) {
    it(`refuses a master.key holding ${label} with MASTER_KEY_INVALID`, async () => {
      loadOrCreateMasterKeyFile(dataDir);
      writeFileSync(keyFile, content, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
      const error = await expectKeywardError(() => loadOrCreateMasterKeyFile(dataDir), "MASTER_KEY_INVALID");
      if (content.trim().length > 0) expect(error.message).not.toContain(content.trim());
    });
  }
});
