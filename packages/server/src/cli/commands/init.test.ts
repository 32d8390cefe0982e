import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { type CliRun, readAll } from "../../../test/support/cli-server.js";
import { PASSWORD } from "../../../test/support/session-helpers.js";
import { parseConfig } from "../../config.js";
import { createLogger } from "../../logger.js";
import { startServer } from "../../server.js";
import { runCli } from "../main.js";

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

let dataDir: string;
let env: Record<string, string>;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "keyward-init-invite-"));
  env = { KEYWARD_DATA_DIR: dataDir, KEYWARD_LOG_LEVEL: "silent", KEYWARD_PORT: "0" };
  return () => rmSync(dataDir, { recursive: true, force: true });
});

async function run(argv: string[], stdin?: string): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(argv, {
    env,
    stdout,
    stderr,
    stdin: Readable.from(stdin === undefined ? [] : [stdin]),
  });
  return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
}

/** Starts the server on the data directory, runs `use` against its URL, and stops it. */
async function withServer(use: (url: string) => Promise<void>): Promise<void> {
  const config = parseConfig(env);
  const server = await startServer({ config, logger: createLogger(config), printRootToken: () => {} });
  try {
    await use(server.url);
  } finally {
    await server.close();
  }
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("keyward init --invite-owner", () => {
  it("--json prints the invitation and its token once; accepting it over HTTP makes an owner who can log in", async () => {
    const result = await run(["init", "--invite-owner", "Ada@Example.com", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as {
      rootToken: string;
      invitation: { id: string; email: string; expiresAt: string };
      token: string;
    };
    expect(printed).toEqual({
      rootToken: expect.stringMatching(/^kwr_/),
      invitation: {
        id: expect.stringMatching(/^inv_/),
        email: "ada@example.com",
        expiresAt: expect.stringMatching(ISO),
      },
      token: expect.stringMatching(/^kwi_[0-9A-Za-z]+$/),
    });
    const hoursLeft = (Date.parse(printed.invitation.expiresAt) - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(71.9);
    expect(hoursLeft).toBeLessThanOrEqual(72);

    await withServer(async (url) => {
      const accepted = await post(`${url}/v1/auth/accept-invitation`, {
        token: printed.token,
        name: "Ada Lovelace",
        password: PASSWORD,
      });
      expect(accepted.status).toBe(201);
      const { user } = (await accepted.json()) as {
        user: { email: string; roles: unknown; createdBy: string };
      };
      expect(user).toMatchObject({
        email: "ada@example.com",
        roles: [{ role: "owner", projectId: null }],
        createdBy: "keyward-init",
      });
      const loggedIn = await post(`${url}/v1/auth/login`, { email: "ada@example.com", password: PASSWORD });
      expect(loggedIn.status).toBe(200);
      const again = await post(`${url}/v1/auth/accept-invitation`, {
        token: printed.token,
        name: "Ada Lovelace",
        password: PASSWORD,
      });
      expect(again.status).toBe(401);
      expect(await again.text()).not.toContain(printed.token);
      // The audit log names keyward init as the inviter, and never holds the token.
      const audit = await fetch(`${url}/v1/audit?action=invitation.created`, {
        headers: { authorization: `Bearer ${printed.rootToken}` },
      });
      const entries = (await audit.json()) as { items: { actor: { id: string } }[] };
      expect(entries.items.map((e) => e.actor.id)).toEqual(["keyward-init"]);
      expect(JSON.stringify(entries)).not.toContain(printed.token);
    });

    // Users exist now: no second first owner.
    const second = await run(["init", "--invite-owner", "eve@example.com"]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expect(second.stderr).toMatch(/^error: CONFLICT: /);
  });

  it("prints one human line with the expiry, the route and the token", async () => {
    const result = await run(["init", "--invite-owner", "ada@example.com"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const line = result.stdout.split("\n").find((l) => l.startsWith("Owner invitation"));
    expect(line).toMatch(
      /^Owner invitation for ada@example\.com \(expires \S+\): POST \/v1\/auth\/accept-invitation with \{token, name, password\}; token: kwi_[0-9A-Za-z]+$/,
    );
    expect(/\(expires (\S+)\)/.exec(line ?? "")?.[1]).toMatch(ISO);
    expect(result.stdout).toContain("Root token.");
  });

  it("refuses a malformed email before anything is made, so the root token is not lost", async () => {
    const bad = await run(["init", "--invite-owner", "not-an-email", "--json"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^error: VALIDATION_ERROR: /);
    const good = await run(["init", "--json"]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ rootToken: expect.stringMatching(/^kwr_/) });
  });

  it("cannot be combined with --owner-email", async () => {
    const result = await run(
      ["init", "--invite-owner", "a@example.com", "--owner-email", "b@example.com"],
      PASSWORD,
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("cannot be used with");
  });
});
