import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";

/** Name of the master key file inside the data directory. */
export const MASTER_KEY_FILE = "master.key";

/**
 * Returns the master key from `<dataDir>/master.key`, creating it (32 random bytes, base64, mode 0600) when it
 * does not exist. Refuses a file that group or others can read, or one that does not hold 32 bytes.
 */
export function loadOrCreateMasterKeyFile(dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, MASTER_KEY_FILE);
  let fd: number;
  try {
    // 'wx' fails if the file exists, so two processes starting at once never overwrite each other's key.
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readMasterKeyFile(path);
  }
  try {
    // The umask cannot widen 0600, but check what the filesystem actually gave us.
    if ((fstatSync(fd).mode & 0o077) !== 0) throw insecure(path);
    writeSync(fd, `${randomBytes(32).toString("base64")}\n`);
  } finally {
    closeSync(fd);
  }
  return readMasterKeyFile(path);
}

function readMasterKeyFile(path: string): Buffer {
  if ((statSync(path).mode & 0o077) !== 0) throw insecure(path);
  const text = readFileSync(path, "utf8").trim();
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== 32 || bytes.toString("base64") !== text) {
    throw new KeywardError("MASTER_KEY_INVALID", `The master key file ${path} must hold 32 bytes in base64.`);
  }
  return bytes;
}

function insecure(path: string): KeywardError {
  return new KeywardError(
    "MASTER_KEY_INSECURE",
    `The master key file ${path} is readable by group or others; run: chmod 600 ${path}`,
  );
}
