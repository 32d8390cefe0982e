import { randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";

/** Name of the master key file inside the data directory. */
export const MASTER_KEY_FILE = "master.key";

/**
 * Returns the master key from `<dataDir>/master.key`, creating it (32 random bytes, base64, mode 0600) when it
 * does not exist. Refuses a file that group or others can read, or one that does not hold 32 bytes.
 */
export function loadOrCreateMasterKeyFile(dataDir: string): Buffer {
  const keys = loadOrCreateMasterKeyring(dataDir);
  return keys[keys.length - 1] as Buffer;
}

/** Like {@link loadOrCreateMasterKeyFile}, but every version the keyring holds, oldest first. */
export function loadOrCreateMasterKeyring(dataDir: string): Buffer[] {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, MASTER_KEY_FILE);
  let fd: number;
  try {
    // 'wx' fails if the file exists, so two processes starting at once never overwrite each other's key.
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readMasterKeyring(path);
  }
  try {
    // The umask cannot widen 0600, but check what the filesystem actually gave us.
    if ((fstatSync(fd).mode & 0o077) !== 0) throw insecure(path);
    writeSync(fd, `${randomBytes(32).toString("base64")}\n`);
  } finally {
    closeSync(fd);
  }
  return readMasterKeyring(path);
}

/**
 * Every version of the master key in a keyring file: one 32-byte key in base64 per line, oldest first, the last
 * one current (a file written before versions existed is a keyring of one). Refuses a file that group or others
 * can read, an empty one, or a line that is not 32 bytes of base64.
 */
export function readMasterKeyring(path: string): Buffer[] {
  if ((statSync(path).mode & 0o077) !== 0) throw insecure(path);
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (lines.length === 0) {
    throw new KeywardError("MASTER_KEY_INVALID", `The master key file ${path} holds no key.`);
  }
  return lines.map((text, i) => {
    const bytes = Buffer.from(text, "base64");
    if (bytes.length !== 32 || bytes.toString("base64") !== text) {
      throw new KeywardError(
        "MASTER_KEY_INVALID",
        `Line ${i + 1} of the master key file ${path} must hold 32 bytes in base64.`,
      );
    }
    return bytes;
  });
}

/**
 * Replaces the keyring file with `keys` (oldest first) in one step: a new file, mode 0600, renamed over the old
 * one, so a process reading it meanwhile sees the old keyring or the new one, never half of either.
 */
export function writeMasterKeyring(path: string, keys: readonly Buffer[]): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(temporary, "wx", 0o600);
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) throw insecure(temporary);
    writeSync(fd, `${keys.map((key) => key.toString("base64")).join("\n")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

function insecure(path: string): KeywardError {
  return new KeywardError(
    "MASTER_KEY_INSECURE",
    `The master key file ${path} is readable by group or others; run: chmod 600 ${path}`,
  );
}
