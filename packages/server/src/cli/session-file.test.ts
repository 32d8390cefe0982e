import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deleteSessionFile,
  isSessionExpired,
  readSessionFile,
  type StoredSession,
  sessionFilePath,
  writeSessionFile,
} from "./session-file.js";

const SESSION: StoredSession = {
  url: "http://127.0.0.1:8080",
  token: "kws_0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
  email: "ada@example.com",
  sessionId: "ses_01",
  expiresAt: "2030-01-01T12:00:00.000Z",
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyward-session-file-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("sessionFilePath()", () => {
  it("takes KEYWARD_SESSION_FILE, else $XDG_CONFIG_HOME/keyward, else $HOME/.config/keyward", () => {
    const all = { KEYWARD_SESSION_FILE: "/s/session.json", XDG_CONFIG_HOME: "/xdg", HOME: "/home/ada" };
    expect(sessionFilePath(all)).toBe("/s/session.json");
    expect(sessionFilePath({ ...all, KEYWARD_SESSION_FILE: undefined })).toBe("/xdg/keyward/session.json");
    expect(sessionFilePath({ HOME: "/home/ada" })).toBe("/home/ada/.config/keyward/session.json");
    expect(sessionFilePath({})).toBeNull();
  });

  it("ignores a relative XDG_CONFIG_HOME and empty values, as the XDG spec says", () => {
    expect(sessionFilePath({ XDG_CONFIG_HOME: "config", HOME: "/home/ada" })).toBe(
      "/home/ada/.config/keyward/session.json",
    );
    expect(sessionFilePath({ KEYWARD_SESSION_FILE: "", XDG_CONFIG_HOME: "", HOME: "" })).toBeNull();
  });

  it("resolves a relative KEYWARD_SESSION_FILE against the working directory", () => {
    expect(sessionFilePath({ KEYWARD_SESSION_FILE: "s.json" })).toBe(join(process.cwd(), "s.json"));
  });
});

describe("writeSessionFile() and readSessionFile()", () => {
  it("creates missing directories with mode 0700 and the file with mode 0600, and reads the session back", () => {
    const path = join(dir, "config", "keyward", "session.json");
    writeSessionFile(path, SESSION);
    expect(statSync(join(dir, "config")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "config", "keyward")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readSessionFile(path)).toEqual(SESSION);
  });

  it("answers null when there is no file", () => {
    expect(readSessionFile(join(dir, "missing.json"))).toBeNull();
  });

  it.each([0o644, 0o640, 0o604, 0o620])(
    "refuses a file with mode %s (group or others) without quoting its secret",
    (mode) => {
      const path = join(dir, "session.json");
      writeSessionFile(path, SESSION);
      chmodSync(path, mode);
      let error: unknown;
      try {
        readSessionFile(path);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: "CONFIG_INVALID" });
      expect((error as Error).message).toContain(`run: chmod 600 ${path}`);
      expect((error as Error).message).not.toContain(SESSION.token);
    },
  );

  it("refuses a file that is not JSON or lacks a field, without quoting it", () => {
    const path = join(dir, "session.json");
    writeFileSync(path, `not json ${SESSION.token}`, { mode: 0o600 });
    expect(() => readSessionFile(path)).toThrow(/is not JSON; delete it and run keyward login/);
    expect(() => readSessionFile(path)).not.toThrow(SESSION.token);
    const { token: _, ...withoutToken } = SESSION;
    writeFileSync(path, JSON.stringify(withoutToken), { mode: 0o600 });
    expect(() => readSessionFile(path)).toThrow(/must hold url, token, email, sessionId, expiresAt/);
    writeFileSync(path, "null", { mode: 0o600 });
    expect(() => readSessionFile(path)).toThrow(/must hold/);
  });

  it("refuses a directory where the file should be", () => {
    const path = join(dir, "session.json");
    mkdirSync(path, { mode: 0o700 });
    expect(() => readSessionFile(path)).toThrow(/is not a regular file/);
  });

  it("replaces the file in one step: a reader of the old file still reads all of it, and the new file is new", () => {
    const path = join(dir, "session.json");
    writeSessionFile(path, SESSION);
    const before = statSync(path);
    const oldText = readFileSync(path, "utf8");
    const reader = openSync(path, "r");
    try {
      writeSessionFile(path, { ...SESSION, token: "kws_second", sessionId: "ses_02" });
      const buffer = Buffer.alloc(4096);
      const read = readSync(reader, buffer, 0, buffer.length, 0);
      // Written in place (truncate + write), the open descriptor would see the new text or an empty file.
      expect(buffer.subarray(0, read).toString("utf8")).toBe(oldText);
    } finally {
      closeSync(reader);
    }
    expect(statSync(path).ino).not.toBe(before.ino);
    expect(readSessionFile(path)).toMatchObject({ token: "kws_second", sessionId: "ses_02" });
    expect(readdirSync(dir)).toEqual(["session.json"]);
  });

  it("replaces a file others could read with a private one, rather than writing into it", () => {
    const path = join(dir, "session.json");
    writeFileSync(path, "{}", { mode: 0o644 });
    chmodSync(path, 0o644);
    writeSessionFile(path, SESSION);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readSessionFile(path)).toEqual(SESSION);
  });

  it("leaves no temporary file behind when the rename fails", () => {
    const path = join(dir, "session.json");
    // A non-empty directory at the target makes rename() fail after the temporary file is written.
    mkdirSync(join(path, "occupied"), { recursive: true });
    expect(() => writeSessionFile(path, SESSION)).toThrow();
    expect(readdirSync(dir)).toEqual(["session.json"]);
  });
});

describe("deleteSessionFile()", () => {
  it("deletes the file, and answers false when there was none", () => {
    const path = join(dir, "session.json");
    writeSessionFile(path, SESSION);
    expect(deleteSessionFile(path)).toBe(true);
    expect(readSessionFile(path)).toBeNull();
    expect(deleteSessionFile(path)).toBe(false);
  });
});

describe("isSessionExpired()", () => {
  const end = Date.parse(SESSION.expiresAt);
  it("is false before expiresAt and true from it on; an unreadable date counts as ended", () => {
    expect(isSessionExpired(SESSION, end - 1)).toBe(false);
    expect(isSessionExpired(SESSION, end)).toBe(true);
    expect(isSessionExpired({ ...SESSION, expiresAt: "soon" }, 0)).toBe(true);
  });
});
