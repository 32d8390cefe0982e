import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientFromEnv, credentialsFromEnv, DEFAULT_URL, normalizeServerUrl } from "./client-from-env.js";
import type { CliIo } from "./io.js";
import { type StoredSession, writeSessionFile } from "./session-file.js";

const SESSION: StoredSession = {
  url: "https://keyward.example:8443",
  token: "kws_sessionsecret",
  email: "ada@example.com",
  sessionId: "ses_01",
  expiresAt: "2030-01-01T12:00:00.000Z",
};
const BEFORE_END = Date.parse(SESSION.expiresAt) - 1;

let dir: string;
let sessionFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyward-client-from-env-"));
  sessionFile = join(dir, "session.json");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io(env: Record<string, string | undefined>): CliIo {
  return { env, stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from([]) };
}

describe("credentialsFromEnv()", () => {
  it("uses KEYWARD_TOKEN when set, with --url, else KEYWARD_URL, else the default, and never reads the session", () => {
    writeSessionFile(sessionFile, SESSION);
    // Not even a file it would refuse stops KEYWARD_TOKEN: the file is not read at all.
    chmodSync(sessionFile, 0o644);
    const env = { KEYWARD_TOKEN: "kwr_admin", KEYWARD_SESSION_FILE: sessionFile };
    expect(credentialsFromEnv(io(env), undefined, BEFORE_END)).toEqual({
      source: "KEYWARD_TOKEN",
      baseUrl: DEFAULT_URL,
      token: "kwr_admin",
    });
    const withUrl = { ...env, KEYWARD_URL: "http://a.example" };
    expect(credentialsFromEnv(io(withUrl), undefined, BEFORE_END).baseUrl).toBe("http://a.example");
    expect(credentialsFromEnv(io(withUrl), "http://b.example", BEFORE_END).baseUrl).toBe("http://b.example");
  });

  it("falls back to the stored session, on the server it came from, when KEYWARD_TOKEN is unset or blank", () => {
    writeSessionFile(sessionFile, SESSION);
    for (const token of [undefined, "", "  "]) {
      const env = { KEYWARD_TOKEN: token, KEYWARD_SESSION_FILE: sessionFile };
      expect(credentialsFromEnv(io(env), undefined, BEFORE_END)).toEqual({
        source: "session",
        baseUrl: SESSION.url,
        token: SESSION.token,
        session: SESSION,
        sessionFile,
      });
    }
    expect(clientFromEnv(io({ KEYWARD_SESSION_FILE: sessionFile }), undefined).baseUrl).toBe(SESSION.url);
  });

  it("finds the session under XDG_CONFIG_HOME or HOME when KEYWARD_SESSION_FILE is unset", () => {
    writeSessionFile(join(dir, "xdg", "keyward", "session.json"), SESSION);
    writeSessionFile(join(dir, "home", ".config", "keyward", "session.json"), {
      ...SESSION,
      email: "home@x.io",
    });
    const xdg = { XDG_CONFIG_HOME: join(dir, "xdg"), HOME: join(dir, "home") };
    const fromXdg = credentialsFromEnv(io(xdg), undefined, BEFORE_END);
    expect(fromXdg.source === "session" && fromXdg.session.email).toBe(SESSION.email);
    const fromHome = credentialsFromEnv(io({ HOME: join(dir, "home") }), undefined, BEFORE_END);
    expect(fromHome.source === "session" && fromHome.session.email).toBe("home@x.io");
  });

  it("accepts --url or KEYWARD_URL naming the session's server, however spelled", () => {
    writeSessionFile(sessionFile, SESSION);
    const env = { KEYWARD_SESSION_FILE: sessionFile, KEYWARD_URL: "HTTPS://keyward.example:8443/" };
    expect(credentialsFromEnv(io(env), undefined, BEFORE_END).token).toBe(SESSION.token);
    expect(credentialsFromEnv(io(env), `${SESSION.url}/`, BEFORE_END).token).toBe(SESSION.token);
  });

  it("refuses to send the session secret to another server than the session's", () => {
    writeSessionFile(sessionFile, SESSION);
    const env = { KEYWARD_SESSION_FILE: sessionFile };
    for (const [url, kwUrl] of [
      ["https://evil.example", undefined],
      [undefined, "http://keyward.example:8443"],
    ] as const) {
      expect(() => credentialsFromEnv(io({ ...env, KEYWARD_URL: kwUrl }), url, BEFORE_END)).toThrow(
        /^The stored session of ada@example\.com is for https:\/\/keyward\.example:8443, not .*; run keyward login --url/,
      );
    }
  });

  it("says to run keyward login when the stored session has ended", () => {
    writeSessionFile(sessionFile, SESSION);
    const env = { KEYWARD_SESSION_FILE: sessionFile };
    const end = Date.parse(SESSION.expiresAt);
    expect(() => credentialsFromEnv(io(env), undefined, end)).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        message: `The session of ada@example.com saved in ${sessionFile} ended at ${SESSION.expiresAt}; run keyward login.`,
      }),
    );
  });

  it("says to set KEYWARD_TOKEN or log in when there is neither", () => {
    for (const env of [{ KEYWARD_SESSION_FILE: sessionFile }, {}]) {
      expect(() => credentialsFromEnv(io(env), undefined, BEFORE_END)).toThrow(
        /^KEYWARD_TOKEN is not set and no one is logged in; .* or run keyward login\.$/,
      );
    }
  });

  it("refuses a session file others can read", () => {
    writeSessionFile(sessionFile, SESSION);
    chmodSync(sessionFile, 0o644);
    expect(() =>
      credentialsFromEnv(io({ KEYWARD_SESSION_FILE: sessionFile }), undefined, BEFORE_END),
    ).toThrow(/is open to group or others; run: chmod 600/);
  });
});

describe("normalizeServerUrl()", () => {
  it("spells a URL one way, and refuses credentials, queries and other schemes without echoing them", () => {
    expect(normalizeServerUrl("HTTP://Example.com:80/keyward/")).toBe("http://example.com/keyward");
    for (const url of [
      "ftp://x",
      "nope",
      "http://u:pw-secret@x",
      "http://x/?t=pw-secret",
      "http://x/#pw-secret",
    ]) {
      expect(() => normalizeServerUrl(url)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
      expect(() => normalizeServerUrl(url)).not.toThrow(/pw-secret/);
    }
  });
});
