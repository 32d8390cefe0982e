import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CliRun,
  type CliTestServer,
  readAll,
  startCliTestServer,
} from "../../../test/support/cli-server.js";
import { PASSWORD, totpCode } from "../../../test/support/session-helpers.js";
import { runCli } from "../main.js";
import { readSessionFile, type StoredSession, writeSessionFile } from "../session-file.js";

const ROOT = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const DEV = "dev@example.com";
const TOTP_USER = "totp@example.com";
const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

let cli: CliTestServer;
let rootToken: string;
let home: string;
let sessionFile: string;
let keyId: string;

beforeAll(async () => {
  cli = await startCliTestServer("login");
  rootToken = (await cli.client.createToken({ name: "login-test", permissions: ["*"] })).token;
  for (const email of [DEV, TOTP_USER]) {
    await cli.server.instance.users.createUser(ROOT, {
      email,
      name: "Dee Veloper",
      password: PASSWORD,
      role: "developer",
    });
  }
  const project = await cli.client.createProject({ name: "login-cli", keyPrefix: "lcli" });
  keyId = (await cli.client.createKey({ projectId: project.id })).id;
});
afterAll(async () => {
  await cli?.close();
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "keyward-login-home-"));
  sessionFile = join(home, ".config", "keyward", "session.json");
  return () => rmSync(home, { recursive: true, force: true });
});

/** Runs the CLI with only `env` (plus HOME): no KEYWARD_TOKEN unless the test gives one. */
async function run(
  argv: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  const env = { HOME: home, ...options.env };
  const code = await runCli(argv, { env, stdout, stderr, stdin });
  return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
}

async function login(email = DEV, extra: string[] = []): Promise<CliRun> {
  return run(["login", "--email", email, ...extra], {
    env: { KEYWARD_URL: cli.server.url },
    stdin: `${PASSWORD}\n`,
  });
}

function stored(): StoredSession {
  const session = readSessionFile(sessionFile);
  if (session === null) throw new Error(`no session file at ${sessionFile}`);
  return session;
}

describe("keyward login, whoami, logout", () => {
  it("logs in with the password from stdin, keeps the session in a 0600 file, and the HTTP commands use it", async () => {
    const loggedIn = await login();
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stdout).toMatch(
      new RegExp(`^Logged in as ${DEV} until ${ISO.source}; session ses_\\w+\\.\\n$`),
    );
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".config", "keyward")).mode & 0o777).toBe(0o700);
    const session = stored();
    expect(session).toMatchObject({ url: cli.server.url, email: DEV });
    expect(session.token).toMatch(/^kws_/);
    expect(loggedIn.stdout).toContain(session.sessionId);
    expect(loggedIn.stdout).not.toContain(session.token);

    // No KEYWARD_TOKEN and no KEYWARD_URL: the session file's token and server.
    const keys = await run(["keys", "list", "--json"]);
    expect(keys.code, keys.stderr).toBe(0);
    expect((JSON.parse(keys.stdout) as { items: { id: string }[] }).items.map((k) => k.id)).toContain(keyId);
    // The session acts as the developer it belongs to: tokens are not theirs to list.
    const tokens = await run(["tokens", "list"]);
    expect(tokens.code).toBe(1);
    expect(tokens.stderr).toMatch(/^error: FORBIDDEN: /);

    const whoami = await run(["whoami"]);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toMatch(new RegExp(`^user +${DEV}$`, "m"));
    expect(whoami.stdout).toMatch(/^roles +developer \(instance-wide\)$/m);
    expect(whoami.stdout).toMatch(new RegExp(`^session +${session.sessionId}$`, "m"));
    expect(whoami.stdout).not.toContain(session.token);
    const whoamiJson = JSON.parse((await run(["whoami", "--json"])).stdout);
    expect(whoamiJson).toMatchObject({
      source: "session",
      kind: "user",
      url: cli.server.url,
      user: { email: DEV },
    });

    const loggedOut = await run(["logout"]);
    expect(loggedOut.code, loggedOut.stderr).toBe(0);
    expect(loggedOut.stdout).toBe(`Logged out ${DEV}; session ${session.sessionId} ended.\n`);
    expect(existsSync(sessionFile)).toBe(false);
    // Ended on the server, not only forgotten here: the secret no longer opens anything.
    writeSessionFile(sessionFile, session);
    const ended = await run(["keys", "list"]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/^error: UNAUTHORIZED: The session has ended/);
    rmSync(sessionFile);
    const noSession = await run(["keys", "list"]);
    expect(noSession.code).toBe(1);
    expect(noSession.stderr).toMatch(
      /^error: CONFIG_INVALID: KEYWARD_TOKEN is not set and no one is logged in;.*run keyward login\.\n$/,
    );
  });

  it("lets KEYWARD_TOKEN win over the stored session, and says so", async () => {
    const loggedIn = await run(["login", "--email", DEV, "--json"], {
      env: { KEYWARD_URL: cli.server.url, KEYWARD_TOKEN: rootToken },
      stdin: PASSWORD,
    });
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stderr).toContain("KEYWARD_TOKEN is set and wins over this session");
    const json = JSON.parse(loggedIn.stdout);
    expect(json).toMatchObject({
      url: cli.server.url,
      sessionFile,
      user: { email: DEV },
      session: { kind: "cli" },
    });
    expect(loggedIn.stdout).not.toContain(stored().token);
    expect(json).not.toHaveProperty("token");
    expect(json).not.toHaveProperty("csrfToken");

    const env = { KEYWARD_URL: cli.server.url, KEYWARD_TOKEN: rootToken };
    const tokens = await run(["tokens", "list"], { env });
    expect(tokens.code, tokens.stderr).toBe(0);
    const whoami = await run(["whoami", "--json"], { env });
    expect(JSON.parse(whoami.stdout)).toEqual({
      source: "KEYWARD_TOKEN",
      kind: "admin_token",
      url: cli.server.url,
    });
    expect(whoami.stdout).not.toContain(rootToken);

    // logout ends the stored session and leaves the admin token alone.
    const loggedOut = await run(["logout", "--json"], { env });
    expect(JSON.parse(loggedOut.stdout)).toMatchObject({ loggedOut: true, endedAlready: false, email: DEV });
    expect((await run(["tokens", "list"], { env })).code).toBe(0);
  });

  it("refuses a wrong password with UNAUTHORIZED, stores nothing and never echoes the password", async () => {
    const wrong = await run(["login", "--email", DEV], {
      env: { KEYWARD_URL: cli.server.url },
      stdin: "a wrong but long password\n",
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: UNAUTHORIZED: /);
    expect(wrong.stderr).not.toContain("a wrong but long password");
    expect(existsSync(sessionFile)).toBe(false);
  });

  it("reads the password from stdin only", async () => {
    const empty = await run(["login", "--email", DEV], { env: { KEYWARD_URL: cli.server.url } });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe(
      `error: VALIDATION_ERROR: No password on standard input; pipe it in, e.g. keyward login --email ${DEV} < password.txt.\n`,
    );
    const inArgv = await run(["login", "--email", DEV, PASSWORD], { env: { KEYWARD_URL: cli.server.url } });
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).not.toContain(PASSWORD);
  });

  it("asks for --code when the account has two-factor authentication, and logs in with a recovery code", async () => {
    const first = await login(TOTP_USER);
    expect(first.code, first.stderr).toBe(0);
    const { token } = stored();
    const bearer = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const started = await fetch(`${cli.server.url}/v1/users/me/totp`, {
      method: "POST",
      headers: bearer,
      body: "{}",
    });
    expect(started.status).toBe(200);
    const { secret } = (await started.json()) as { secret: string };
    const confirmed = await fetch(`${cli.server.url}/v1/users/me/totp/confirm`, {
      method: "POST",
      headers: bearer,
      body: JSON.stringify({ code: totpCode(secret, Date.now()) }),
    });
    expect(confirmed.status).toBe(200);
    const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: [string, ...string[]] };
    expect((await run(["logout"])).code).toBe(0);

    const noCode = await login(TOTP_USER);
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toBe(
      `error: MFA_REQUIRED: ${TOTP_USER} has two-factor authentication: run keyward login again with --code <the code of your authenticator app> (or a recovery code).\n`,
    );
    expect(existsSync(sessionFile)).toBe(false);
    const withCode = await login(TOTP_USER, ["--code", recoveryCodes[0]]);
    expect(withCode.code, withCode.stderr).toBe(0);
    expect((await run(["whoami", "--json"])).stdout).toContain('"twoFactorEnabled":true');
    // A recovery code works once: the server's own words say so.
    const reused = await login(TOTP_USER, ["--code", recoveryCodes[0]]);
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(/^error: MFA_REQUIRED: The code is not valid/);
    expect((await run(["logout"])).code).toBe(0);
  });

  it("logout with no session says so and succeeds; with an ended session it deletes the file without a request", async () => {
    const none = await run(["logout"]);
    expect(none).toEqual({ code: 0, stdout: "Not logged in: there is no session file.\n", stderr: "" });
    writeSessionFile(sessionFile, {
      url: "http://127.0.0.1:9", // nothing listens there: a request would fail
      token: "kws_ended",
      email: DEV,
      sessionId: "ses_old",
      expiresAt: "2001-01-01T00:00:00.000Z",
    });
    const expired = await run(["keys", "list"]);
    expect(expired.stderr).toBe(
      `error: CONFIG_INVALID: The session of ${DEV} saved in ${sessionFile} ended at 2001-01-01T00:00:00.000Z; run keyward login.\n`,
    );
    const old = await run(["logout"]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toBe(`Session ses_old of ${DEV} had ended already; deleted ${sessionFile}.\n`);
    expect(existsSync(sessionFile)).toBe(false);
  });

  it("logout keeps the file when the server cannot be reached, and treats a session ended meanwhile as ended", async () => {
    const session = {
      url: "http://127.0.0.1:9",
      token: "kws_x",
      email: DEV,
      sessionId: "ses_x",
      expiresAt: "2999-01-01T00:00:00.000Z",
    };
    writeSessionFile(sessionFile, session);
    const unreachable = await run(["logout"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^error: NETWORK_ERROR: .* is kept: run keyward logout again/);
    expect(readSessionFile(sessionFile)).toEqual(session);

    writeSessionFile(sessionFile, { ...session, url: cli.server.url, token: "kws_not_a_session" });
    const unknown = await run(["logout", "--json"]);
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ loggedOut: true, endedAlready: true });
    expect(existsSync(sessionFile)).toBe(false);
  });

  it("refuses a session file others can read, and a --url that is not the session's server", async () => {
    expect((await login()).code).toBe(0);
    chmodSync(sessionFile, 0o644);
    const open = await run(["keys", "list"]);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(
      /^error: CONFIG_INVALID: The session file .* is open to group or others; run: chmod 600/,
    );
    chmodSync(sessionFile, 0o600);
    const elsewhere = await run(["keys", "list", "--url", "http://127.0.0.1:9"]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(
      /^error: CONFIG_INVALID: The stored session of dev@example\.com is for http/,
    );
    expect(readFileSync(sessionFile, "utf8")).toContain('"email"');
    expect((await run(["logout"])).code).toBe(0);
  });
});
