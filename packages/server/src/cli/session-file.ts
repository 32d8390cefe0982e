import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";

/** What `keyward login` keeps for the HTTP commands: the session secret and what it belongs to. */
export interface StoredSession {
  /** The server the session was opened on; the secret is never sent anywhere else. */
  url: string;
  /** The session secret (`kws_…`), sent as `Authorization: Bearer`. */
  token: string;
  email: string;
  sessionId: string;
  /** When the session ends at the latest (RFC 3339); it may end sooner, after 30 minutes unused. */
  expiresAt: string;
}

// A session file is a few hundred bytes; a big one is not ours, so do not read it all into memory.
const MAX_FILE_BYTES = 16 * 1024;

/**
 * Where the CLI session lives: `$KEYWARD_SESSION_FILE`, else `$XDG_CONFIG_HOME/keyward/session.json`, else
 * `$HOME/.config/keyward/session.json`; null when none of them is set. Reads `env` only (the CLI's `io.env`).
 */
export function sessionFilePath(env: Readonly<Record<string, string | undefined>>): string | null {
  const explicit = env.KEYWARD_SESSION_FILE;
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  // The XDG Base Directory spec says to ignore a relative XDG_CONFIG_HOME.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "keyward", "session.json");
  const home = env.HOME;
  if (home !== undefined && home !== "") return join(home, ".config", "keyward", "session.json");
  return null;
}

/**
 * The session stored at `path`, or null when there is no file. Refuses (CONFIG_INVALID) a file that group or
 * others can read or write, as the master key file is refused, and one that does not hold a session.
 */
export function readSessionFile(path: string): StoredSession | null {
  let fd: number;
  try {
    // O_NOFOLLOW is not used: a symlinked config (dotfiles managers) is fine as long as its target is private.
    fd = openSync(path, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let text: string;
  try {
    // Checked on the open descriptor, so the file judged is the file read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw invalid(path, "is not a regular file");
    if ((stat.mode & 0o077) !== 0) throw insecure(path);
    if (stat.size > MAX_FILE_BYTES) throw invalid(path, `is larger than ${MAX_FILE_BYTES} bytes`);
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  return parseSession(path, text);
}

/**
 * Stores a session at `path` in one step: a new file, mode 0600, renamed over the old one, so a reader sees the
 * old session or the new one, never half of either, and a file once readable by others is replaced, not reused.
 * Missing directories are created with mode 0700.
 */
export function writeSessionFile(path: string, session: StoredSession): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  // 'wx': never follows a link or reuses a file someone else made at that name.
  const fd = openSync(temporary, "wx", 0o600);
  try {
    try {
      // The umask cannot widen 0600, but check what the filesystem actually gave us.
      if ((fstatSync(fd).mode & 0o077) !== 0) throw insecure(temporary);
      writeSync(fd, `${JSON.stringify(session, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Deletes the session file; false when there was none. */
export function deleteSessionFile(path: string): boolean {
  try {
    rmSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** True when the session has reached its absolute end (an unreadable date counts as ended). */
export function isSessionExpired(session: StoredSession, nowMs: number): boolean {
  const endMs = Date.parse(session.expiresAt);
  return Number.isNaN(endMs) || endMs <= nowMs;
}

function parseSession(path: string, text: string): StoredSession {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The text is not quoted: it holds the session secret.
    throw invalid(path, "is not JSON");
  }
  const record = value as Partial<Record<keyof StoredSession, unknown>> | null;
  const fields = ["url", "token", "email", "sessionId", "expiresAt"] as const;
  if (
    record === null ||
    typeof record !== "object" ||
    fields.some((field) => typeof record[field] !== "string" || record[field] === "")
  ) {
    throw invalid(path, `must hold ${fields.join(", ")}`);
  }
  const { url, token, email, sessionId, expiresAt } = record as StoredSession;
  return { url, token, email, sessionId, expiresAt };
}

function invalid(path: string, problem: string): KeywardError {
  return new KeywardError(
    "CONFIG_INVALID",
    `The session file ${path} ${problem}; delete it and run keyward login.`,
  );
}

function insecure(path: string): KeywardError {
  return new KeywardError(
    "CONFIG_INVALID",
    `The session file ${path} is open to group or others; run: chmod 600 ${path} (or delete it and run keyward login).`,
  );
}
