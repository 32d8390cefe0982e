import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isServerBuilt,
  KEYWARD_BIN,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";

const built = isServerBuilt();

/** Runs the built CLI as its own process. */
function cli(args: string[], env: Record<string, string>, input?: string) {
  const result = spawnSync(process.execPath, [KEYWARD_BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text) as T;
}

describe.skipIf(!built)("the built server as a process, over real HTTP", () => {
  let dataDir: string;
  let server: ServerProcess;
  let env: Record<string, string>;
  let rootToken: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-"));
    const init = cli(["init", "--json"], { KEYWARD_DATA_DIR: dataDir });
    expect(init.status, init.stderr).toBe(0);
    rootToken = json<{ rootToken: string }>(init.stdout).rootToken;
    expect(rootToken).toMatch(/^kwr_[0-9A-Za-z]{49}$/);
    server = await startServerProcess({ KEYWARD_DATA_DIR: dataDir });
    env = { KEYWARD_URL: server.url, KEYWARD_TOKEN: rootToken };
  });

  afterAll(async () => {
    if (server?.child.exitCode === null) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("init creates master.key with mode 0600 and a serve after init prints no second root token", () => {
    expect(statSync(join(dataDir, "master.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "keyward.db")).mode & 0o077).toBe(0);
    expect(server.rootToken).toBeNull();
  });

  it("walks a new user's journey through the CLI: VALID, INSUFFICIENT_SCOPE, DISABLED, EXPIRED, REVOKED, NOT_FOUND", () => {
    const project = cli(["projects", "create", "billing", "--prefix", "bill", "--json"], env);
    expect(project.status, project.stderr).toBe(0);
    const projectId = json<{ id: string }>(project.stdout).id;

    const created = cli(
      [
        "keys",
        "create",
        "--project",
        projectId,
        "--name",
        "acme",
        "--owner",
        "cust_1",
        "--scopes",
        "orders:read,orders:write",
        "--expires",
        "30d",
        "--json",
      ],
      env,
    );
    expect(created.status, created.stderr).toBe(0);
    const { key, id } = json<{ key: string; id: string }>(created.stdout);
    expect(key.startsWith("bill_")).toBe(true);

    const verify = (args: string[], input = key) => cli(["keys", "verify", "--json", ...args], env, input);
    expect(json(verify([]).stdout)).toMatchObject({ valid: true, code: "VALID", keyId: id });
    expect(json(verify(["--scopes", "orders:delete"]).stdout)).toMatchObject({ code: "INSUFFICIENT_SCOPE" });
    expect(cli(["keys", "update", id, "--disable", "--json"], env).status).toBe(0);
    expect(json(verify([]).stdout)).toMatchObject({ code: "DISABLED" });
    expect(cli(["keys", "update", id, "--enable", "--json"], env).status).toBe(0);
    expect(json(verify([]).stdout)).toMatchObject({ code: "VALID" });
    expect(cli(["keys", "update", id, "--expires", "2020-01-01T00:00:00Z", "--json"], env).status).toBe(0);
    expect(json(verify([]).stdout)).toMatchObject({ code: "EXPIRED" });

    const second = json<{ key: string; id: string }>(
      cli(["keys", "create", "--project", projectId, "--json"], env).stdout,
    );
    expect(cli(["keys", "revoke", second.id, "--reason", "leaked", "--json"], env).status).toBe(0);
    expect(json(verify([], second.key).stdout)).toMatchObject({ code: "REVOKED" });

    expect(json(verify([], "definitely-not-a-key").stdout)).toEqual({ valid: false, code: "NOT_FOUND" });
    const flipped = `${second.key.slice(0, -10)}${second.key.at(-10) === "a" ? "b" : "a"}${second.key.slice(-9)}`;
    expect(json(verify([], flipped).stdout)).toEqual({ valid: false, code: "NOT_FOUND" });

    const human = cli(["keys", "verify"], env, "definitely-not-a-key");
    expect(human.status).toBe(1);
    expect(human.stdout).toContain("NOT_FOUND");
  });

  it("walks the same journey through the HTTP API", async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${rootToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const created = await call("POST", "/v1/keys", { scopes: ["a:*"] });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const id = created.body.id as string;
    const verify = async (extra: Record<string, unknown> = {}, k = key) =>
      (await call("POST", "/v1/keys/verify", { key: k, ...extra })).body;

    expect(await verify({ scopes: ["a:b"] })).toMatchObject({ code: "VALID" });
    expect(await verify({ scopes: ["b:a"] })).toMatchObject({ code: "INSUFFICIENT_SCOPE" });
    await call("PATCH", `/v1/keys/${id}`, { enabled: false });
    expect(await verify()).toMatchObject({ code: "DISABLED" });
    await call("PATCH", `/v1/keys/${id}`, { enabled: true, expiresAt: "2020-01-01T00:00:00Z" });
    expect(await verify()).toMatchObject({ code: "EXPIRED" });
    await call("PATCH", `/v1/keys/${id}`, { expiresAt: null });
    expect(await verify()).toMatchObject({ code: "VALID" });
    await call("POST", `/v1/keys/${id}/revoke`, {});
    expect(await verify()).toMatchObject({ code: "REVOKED" });
    expect(await verify({}, "kw_nope")).toEqual({ valid: false, code: "NOT_FOUND" });

    const unauthorized = await fetch(`${server.url}/v1/keys`);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("content-type")).toContain("application/problem+json");
    const openapi = await fetch(`${server.url}/openapi.json`);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\.1/);
  });

  it("stops cleanly on SIGTERM, writes batched usage, and keeps its data across a restart", async () => {
    const created = json<{ key: string; id: string }>(cli(["keys", "create", "--json"], env).stdout);
    expect(json(cli(["keys", "verify", "--json"], env, created.key).stdout)).toMatchObject({ code: "VALID" });
    expect(await server.stop()).toBe(0);

    server = await startServerProcess({ KEYWARD_DATA_DIR: dataDir });
    env = { KEYWARD_URL: server.url, KEYWARD_TOKEN: rootToken };
    expect(server.rootToken).toBeNull();
    const shown = json<{ lastUsedAt: string | null }>(
      cli(["keys", "show", created.id, "--json"], env).stdout,
    );
    expect(shown.lastUsedAt).not.toBeNull();
    expect(json(cli(["keys", "verify", "--json"], env, created.key).stdout)).toMatchObject({ code: "VALID" });
  });

  it("refuses to start when master.key is readable by group or others", () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-e2e-perm-"));
    try {
      expect(cli(["init", "--json"], { KEYWARD_DATA_DIR: dir }).status).toBe(0);
      chmodSync(join(dir, "master.key"), 0o644);
      const refused = cli(["serve", "--port", "0"], { KEYWARD_DATA_DIR: dir });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain("MASTER_KEY_INSECURE");
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the master key from KEYWARD_MASTER_KEY instead of a file, and refuses a different one later", () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-e2e-env-"));
    try {
      const masterKey = randomBytes(32).toString("base64");
      const init = cli(["init", "--json"], { KEYWARD_DATA_DIR: dir, KEYWARD_MASTER_KEY: masterKey });
      expect(init.status, init.stderr).toBe(0);
      expect(existsSync(join(dir, "master.key"))).toBe(false);
      const again = cli(["init", "--json"], { KEYWARD_DATA_DIR: dir, KEYWARD_MASTER_KEY: masterKey });
      expect(json(again.stdout)).toMatchObject({ rootToken: null });
      const wrong = cli(["init", "--json"], {
        KEYWARD_DATA_DIR: dir,
        KEYWARD_MASTER_KEY: randomBytes(32).toString("base64"),
      });
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain("MASTER_KEY_MISMATCH");
      expect(wrong.stderr).not.toContain(masterKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
