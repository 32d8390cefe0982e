import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { KeywardClient } from "@keyward/client/keyward-client.js";
import type { Delivery, Page } from "@keyward/client/types.js";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../test/support/cli-server.js";
import { startWebhookReceiver } from "../../test/support/webhook-receiver.js";
import { parseConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { type RunningServer, startServer } from "../server.js";
import { runCli } from "./main.js";

type Env = Record<string, string | undefined>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output; `stdin` is what gets piped in. */
async function run(argv: string[], env: Env, stdin?: string): Promise<Run> {
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

function parsed<T = Record<string, unknown>>(result: Run): T {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Asserts a failed run printed exactly one `error: CODE: ...` line, no stack, nothing on stdout. */
function expectOneErrorLine(result: Run, exitCode: number, code: string): void {
  expect(result.code).toBe(exitCode);
  expect(result.stdout).toBe("");
  expect(result.stderr.endsWith("\n")).toBe(true);
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr.startsWith(`error: ${code}: `)).toBe(true);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "keyward-cli-"));
}

/**
 * Re-reads until `holds` is true, for state a background job of the real server changes; fails after 10 s.
 * The server runs in real time here, so there is no clock to advance instead.
 */
async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`eventually(): still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function changeOneCharacter(key: string): string {
  const i = key.length - 10;
  const replacement = key[i] === "A" ? "B" : "A";
  return `${key.slice(0, i)}${replacement}${key.slice(i + 1)}`;
}

describe("keyward CLI against a real server", () => {
  let dataDir: string;
  let server: RunningServer;
  let rootToken: string;
  let env: Env;
  const printedByServer: string[] = [];

  beforeAll(async () => {
    dataDir = tempDir();
    // No KEYWARD_MASTER_KEY: init must create <dataDir>/master.key.
    const serverEnv = { KEYWARD_DATA_DIR: dataDir, KEYWARD_PORT: "0", KEYWARD_LOG_LEVEL: "silent" };
    const init = await run(["init", "--json"], serverEnv);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/^\{"rootToken":"[^"]+"\}\n$/);
    rootToken = (JSON.parse(init.stdout) as { rootToken: string }).rootToken;
    const config = parseConfig(serverEnv);
    server = await startServer({
      config,
      logger: createLogger(config),
      printRootToken: (token) => printedByServer.push(token),
    });
    env = { KEYWARD_URL: server.url, KEYWARD_TOKEN: rootToken };
  });

  afterAll(async () => {
    await server?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it("init created a private master key file, and the server did not mint a second root token", () => {
    expect(statSync(join(dataDir, "master.key")).mode & 0o077).toBe(0);
    expect(printedByServer).toEqual([]);
  });

  it("init on an initialized data directory says so and exits 0", async () => {
    const serverEnv = { KEYWARD_DATA_DIR: dataDir, KEYWARD_LOG_LEVEL: "silent" };
    expect(parsed(await run(["init", "--json"], serverEnv))).toEqual({
      rootToken: null,
      alreadyInitialized: true,
    });
    // The server holds the database open; a second opener must still work (SQLite WAL).
    const human = await run(["init"], serverEnv);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("already initialized");
    expect(human.stdout).not.toContain(rootToken);
  });

  it("walks a new user from a project to every verification outcome", async () => {
    const project = parsed<{ id: string; keyPrefix: string }>(
      await run(["projects", "create", "billing", "--prefix", "bill", "--json"], env),
    );
    expect(project.keyPrefix).toBe("bill");

    const created = parsed<{ key: string; id: string; scopes: string[]; meta: unknown; expiresAt: string }>(
      await run(
        [
          "keys",
          "create",
          "--project",
          project.id,
          "--name",
          "acme production",
          "--owner",
          "customer_42",
          "--scopes",
          "orders:read,orders:write",
          "--meta",
          '{"plan":"pro"}',
          "--expires",
          "30d",
          "--json",
        ],
        env,
      ),
    );
    expect(created.key.startsWith("bill_")).toBe(true);
    expect(created.scopes).toEqual(["orders:read", "orders:write"]);
    expect(created.meta).toEqual({ plan: "pro" });
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const key = created.key;

    const valid = await run(["keys", "verify", "--scopes", "orders:read"], env, `${key}\n`);
    expect(valid.code).toBe(0);
    expect(valid.stderr).toBe("");
    expect(valid.stdout).toMatch(/^code +VALID$/m);
    expect(valid.stdout).toMatch(new RegExp(`^key +${created.id}$`, "m"));
    expect(valid.stdout).not.toContain(key);

    const missingScope = await run(["keys", "verify", "--scopes", "orders:read,admin", "--json"], env, key);
    expect(missingScope.code).toBe(1);
    expect(JSON.parse(missingScope.stdout)).toMatchObject({
      valid: false,
      code: "INSUFFICIENT_SCOPE",
      keyId: created.id,
      missingScopes: ["admin"],
    });

    const disabled = await run(["keys", "update", created.id, "--disable", "--json"], env);
    expect(parsed(disabled)).toMatchObject({ id: created.id, enabled: false });
    const whenDisabled = await run(["keys", "verify"], env, key);
    expect(whenDisabled.code).toBe(1);
    expect(whenDisabled.stdout).toMatch(/^code +DISABLED$/m);
    expect(whenDisabled.stdout).toMatch(/^valid +false$/m);

    expect((await run(["keys", "update", created.id, "--enable"], env)).code).toBe(0);
    expect((await run(["keys", "verify"], env, key)).code).toBe(0);

    const expired = await run(["keys", "update", created.id, "--expires", "2000-01-01T00:00:00Z"], env);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(/^status +expired$/m);
    const whenExpired = await run(["keys", "verify", "--json"], env, key);
    expect(whenExpired.code).toBe(1);
    expect(JSON.parse(whenExpired.stdout)).toMatchObject({ valid: false, code: "EXPIRED" });

    // A second key, created in human mode: the key is printed once, on its own line, with a warning.
    const second = await run(["keys", "create", "--project", project.id, "--name", "to revoke"], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("will NOT be shown again");
    const secondKey = /^ {2}(bill_\S+)$/m.exec(second.stdout)?.[1];
    const secondId = /^id +(key_\S+)$/m.exec(second.stdout)?.[1];
    if (secondKey === undefined || secondId === undefined) throw new Error(`no key in: ${second.stdout}`);
    expect((await run(["keys", "verify"], env, secondKey)).code).toBe(0);

    const revoked = await run(["keys", "revoke", secondId, "--reason", "leaked", "--json"], env);
    expect(parsed(revoked)).toMatchObject({ id: secondId, revokedReason: "leaked" });
    const whenRevoked = await run(["keys", "verify", "--json"], env, secondKey);
    expect(whenRevoked.code).toBe(1);
    expect(JSON.parse(whenRevoked.stdout)).toMatchObject({ valid: false, code: "REVOKED", keyId: secondId });

    for (const bogus of ["not-a-key-at-all", changeOneCharacter(secondKey), changeOneCharacter(key)]) {
      const notFound = await run(["keys", "verify", "--json"], env, bogus);
      expect(notFound.code).toBe(1);
      expect(JSON.parse(notFound.stdout)).toEqual({ valid: false, code: "NOT_FOUND" });
    }
    const humanNotFound = await run(["keys", "verify"], env, "not-a-key-at-all");
    expect(humanNotFound.stdout).toBe("code   NOT_FOUND\nvalid  false\n");

    const list = parsed<{ items: Array<{ id: string }>; nextCursor: string | null }>(
      await run(["keys", "list", "--project", project.id, "--json"], env),
    );
    expect(list.items.map((k) => k.id)).toEqual([created.id, secondId]);

    const paged = parsed<{ items: Array<{ id: string }>; nextCursor: string }>(
      await run(["keys", "list", "--project", project.id, "--limit", "1", "--json"], env),
    );
    expect(paged.items.map((k) => k.id)).toEqual([created.id]);
    const nextPage = parsed<{ items: Array<{ id: string }> }>(
      await run(["keys", "list", "--project", project.id, "--cursor", paged.nextCursor, "--json"], env),
    );
    expect(nextPage.items.map((k) => k.id)).toEqual([secondId]);

    const humanList = await run(["keys", "list", "--project", project.id], env);
    expect(humanList.code).toBe(0);
    const [header, ...rows] = humanList.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID +PROJECT +NAME +OWNER +START +STATUS +SCOPES +EXPIRES$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/expired/);
    expect(rows[1]).toMatch(/revoked/);

    const shown = await run(["keys", "show", created.id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^owner +customer_42$/m);
    expect(shown.stdout).toMatch(/^scopes +orders:read, orders:write$/m);
    expect(shown.stdout).toMatch(/^meta +\{"plan":"pro"\}$/m);
    expect(shown.stdout).not.toContain(key);
  });

  it("keys update changes name, owner, scopes, meta and expiry, and '' clears name and owner", async () => {
    const created = parsed<{ id: string }>(
      await run(["keys", "create", "--name", "n", "--owner", "o", "--json"], env),
    );
    const updated = parsed(
      await run(
        [
          "keys",
          "update",
          created.id,
          "--name",
          "",
          "--owner",
          "",
          "--scopes",
          "a,b",
          "--meta",
          '{"x":1}',
          "--expires",
          "never",
          "--json",
        ],
        env,
      ),
    );
    expect(updated).toMatchObject({
      name: null,
      ownerId: null,
      scopes: ["a", "b"],
      meta: { x: 1 },
      expiresAt: null,
    });
  });

  it("keys rotate prints the new key once, and the old key works until the grace period ends", async () => {
    const created = parsed<{ id: string; key: string }>(
      await run(["keys", "create", "--name", "rotating", "--scopes", "a", "--json"], env),
    );
    const before = Date.now();
    const rotated = parsed<{
      key: string;
      id: string;
      name: string;
      scopes: string[];
      replaces: string;
      replacedBy: null;
      rotationDue: boolean;
      previous: { id: string; replacedBy: string; expiresAt: string };
    }>(await run(["keys", "rotate", created.id, "--grace", "2h", "--json"], env));
    expect(rotated).toMatchObject({
      name: "rotating",
      scopes: ["a"],
      replaces: created.id,
      replacedBy: null,
      rotationDue: false,
      previous: { id: created.id, replacedBy: rotated.id },
    });
    expect(rotated.key).not.toBe(created.key);
    const graceEndsMs = Date.parse(rotated.previous.expiresAt);
    expect(graceEndsMs).toBeGreaterThanOrEqual(before + 7_200_000 - 1_000);
    expect(graceEndsMs).toBeLessThanOrEqual(Date.now() + 7_200_000);

    const old = await run(["keys", "verify", "--json"], env, created.key);
    expect(parsed(old)).toMatchObject({
      valid: true,
      code: "VALID",
      rotationDue: false,
      rotation: { replacedBy: rotated.id, expiresAt: rotated.previous.expiresAt },
    });
    const oldHuman = await run(["keys", "verify"], env, created.key);
    expect(oldHuman.stdout).toMatch(new RegExp(`^replaced by +${rotated.id}$`, "m"));
    expect(oldHuman.stdout).toMatch(/^works until +\S+Z$/m);
    expect((await run(["keys", "verify"], env, rotated.key)).code).toBe(0);
    expect((await run(["keys", "show", created.id], env)).stdout).toMatch(
      new RegExp(`^replaced by +${rotated.id}$`, "m"),
    );

    const again = await run(["keys", "rotate", created.id], env);
    expectOneErrorLine(again, 1, "KEY_ALREADY_ROTATED");

    // Human mode, no grace: the key is printed once on its own line, and the old key stops at once.
    const human = await run(["keys", "rotate", rotated.id, "--grace", "0"], env);
    expect(human.code).toBe(0);
    expect(human.stderr).toBe("");
    expect(human.stdout).toContain("will NOT be shown again");
    const newest = /^ {2}(kw_\S+)$/m.exec(human.stdout)?.[1];
    const newestId = /^id +(key_\S+)$/m.exec(human.stdout)?.[1];
    if (newest === undefined || newestId === undefined) throw new Error(`no key in: ${human.stdout}`);
    expect(human.stdout).toMatch(new RegExp(`^replaces +${rotated.id}$`, "m"));
    expect(human.stdout).toMatch(new RegExp(`^old key +${rotated.id} stopped working at \\S+Z$`, "m"));
    const whenEnded = await run(["keys", "verify", "--json"], env, rotated.key);
    expect(whenEnded.code).toBe(1);
    expect(JSON.parse(whenEnded.stdout)).toMatchObject({ valid: false, code: "EXPIRED" });
    expect((await run(["keys", "verify"], env, newest)).code).toBe(0);

    const defaultGrace = parsed<{ previous: { expiresAt: string } }>(
      await run(["keys", "rotate", newestId, "--json"], env),
    );
    expect(Date.parse(defaultGrace.previous.expiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
  });

  it("keys revoke --owner/--project revokes many keys and prints the count", async () => {
    const project = parsed<{ id: string }>(await run(["projects", "create", "bulk", "--json"], env));
    const create = async (argv: string[]) =>
      parsed<{ id: string; key: string }>(await run(["keys", "create", ...argv, "--json"], env));
    const a1 = await create(["--project", project.id, "--owner", "cus_bulk_a"]);
    await create(["--project", project.id, "--owner", "cus_bulk_a"]);
    const b = await create(["--project", project.id, "--owner", "cus_bulk_b"]);
    const elsewhere = await create(["--owner", "cus_bulk_a"]);

    const byOwner = await run(
      ["keys", "revoke", "--owner", "cus_bulk_a", "--project", project.id, "--reason", "churned", "--json"],
      env,
    );
    expect(parsed(byOwner)).toEqual({ revoked: 2 });
    expect(parsed(await run(["keys", "show", a1.id, "--json"], env))).toMatchObject({
      revokedReason: "churned",
    });
    // The same owner's key in another project was not part of it.
    expect((await run(["keys", "verify"], env, elsewhere.key)).code).toBe(0);
    expect((await run(["keys", "verify"], env, b.key)).code).toBe(0);

    const byProject = await run(["keys", "revoke", "--project", project.id], env);
    expect(byProject).toEqual({ code: 0, stdout: "Revoked 1 key.\n", stderr: "" });
    expect((await run(["keys", "verify"], env, b.key)).code).toBe(1);

    expect((await run(["keys", "revoke", "--owner", "cus_bulk_a"], env)).stdout).toBe("Revoked 1 key.\n");
    expect((await run(["keys", "revoke", "--owner", "cus_bulk_a"], env)).stdout).toBe("Revoked 0 keys.\n");
    expect((await run(["keys", "verify"], env, elsewhere.key)).code).toBe(1);

    expectOneErrorLine(await run(["keys", "revoke", "--project", "proj_doesnotexist"], env), 1, "NOT_FOUND");
  });

  it("keys delete erases a key, and projects delete deletes a project and revokes its keys", async () => {
    const project = parsed<{ id: string }>(await run(["projects", "create", "doomed", "--json"], env));
    const create = async () =>
      parsed<{ id: string; key: string }>(
        await run(["keys", "create", "--project", project.id, "--json"], env),
      );
    const erased = await create();
    const kept = await create();
    expect(await run(["keys", "delete", erased.id], env)).toEqual({
      code: 0,
      stdout: `Erased key ${erased.id}.\n`,
      stderr: "",
    });
    expectOneErrorLine(await run(["keys", "show", erased.id], env), 1, "NOT_FOUND");

    expect(parsed(await run(["projects", "delete", project.id, "--json"], env))).toEqual({
      id: project.id,
      deleted: true,
      revoked: 1,
    });
    expect((await run(["keys", "verify"], env, kept.key)).code).toBe(1);
    expectOneErrorLine(await run(["projects", "show", project.id], env), 1, "NOT_FOUND");
    expectOneErrorLine(await run(["projects", "delete", project.id], env), 1, "NOT_FOUND");
  });

  it("projects update sets and removes key policies, and projects show prints them", async () => {
    const project = parsed<{ id: string; policies: unknown }>(
      await run(["projects", "create", "policies", "--json"], env),
    );
    expect(project.policies).toEqual({});

    const updated = await run(
      ["projects", "update", project.id, "--max-lifetime", "P90D", "--rotation-period", "P30D", "--json"],
      env,
    );
    expect(parsed(updated)).toMatchObject({
      id: project.id,
      policies: { maxLifetime: "P90D", rotationPeriod: "P30D" },
    });

    const key = parsed<{ expiresAt: string }>(
      await run(["keys", "create", "--project", project.id, "--json"], env),
    );
    expect(Date.parse(key.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expectOneErrorLine(
      await run(["keys", "create", "--project", project.id, "--expires", "200d"], env),
      1,
      "POLICY_VIOLATION",
    );

    const shown = await run(["projects", "show", project.id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^max lifetime +P90D$/m);
    expect(shown.stdout).toMatch(/^rotation period +P30D$/m);
    expect(shown.stdout).toMatch(/^inactivity revocation +-$/m);
    expect(shown.stdout).toMatch(/^expiry notice +P7D \(default\)$/m);

    const removed = await run(
      [
        "projects",
        "update",
        project.id,
        "--name",
        "renamed",
        "--rotation-period",
        "none",
        "--inactivity-revocation",
        "P60D",
        "--expiry-notice",
        "P3D",
      ],
      env,
    );
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^name +renamed$/m);
    expect(removed.stdout).toMatch(/^rotation period +-$/m);
    expect(removed.stdout).toMatch(/^inactivity revocation +P60D$/m);
    expect(removed.stdout).toMatch(/^expiry notice +P3D$/m);
    expect(parsed(await run(["projects", "show", project.id, "--json"], env))).toMatchObject({
      name: "renamed",
      policies: { maxLifetime: "P90D", inactivityRevocation: "P60D", expiryNotice: "P3D" },
    });

    const bad = await run(["projects", "update", project.id, "--max-lifetime", "90d"], env);
    expectOneErrorLine(bad, 1, "VALIDATION_ERROR");
    expect(bad.stderr).toContain("P90D");
    expectOneErrorLine(await run(["projects", "show", "proj_doesnotexist"], env), 1, "NOT_FOUND");
  });

  it("keys create sets rate limits, quota and IP allowlist, and keys verify charges them", async () => {
    const created = parsed<{
      id: string;
      key: string;
      rateLimits: unknown;
      quota: { remaining: number; refill: unknown; refilledAt: string | null };
      ipAllowlist: unknown;
    }>(
      await run(
        [
          "keys",
          "create",
          "--name",
          "limited",
          "--rate-limit",
          "burst=2/1h",
          "--rate-limit",
          "daily=100/1d",
          "--quota",
          "3",
          "--refill",
          "5000/month",
          "--ip",
          "10.0.0.0/8",
          "--ip",
          "2001:db8::/32",
          "--json",
        ],
        env,
      ),
    );
    expect(created.rateLimits).toEqual([
      { name: "burst", limit: 2, windowMs: 3_600_000 },
      { name: "daily", limit: 100, windowMs: 86_400_000 },
    ]);
    expect(created.quota).toMatchObject({ remaining: 3, refill: { amount: 5_000, interval: "month" } });
    expect(created.ipAllowlist).toEqual(["10.0.0.0/8", "2001:db8::/32"]);

    const shown = await run(["keys", "show", created.id], env);
    expect(shown.stdout).toMatch(/^rate limits +burst 2\/1h, daily 100\/1d$/m);
    expect(shown.stdout).toMatch(/^quota +3 left, refilled to 5000 every month$/m);
    expect(shown.stdout).toMatch(/^ip allowlist +10\.0\.0\.0\/8, 2001:db8::\/32$/m);

    // An allowlisted key verified without an address is refused.
    const noIp = await run(["keys", "verify", "--json"], env, created.key);
    expect(noIp.code).toBe(1);
    expect(JSON.parse(noIp.stdout)).toMatchObject({ valid: false, code: "IP_NOT_ALLOWED" });
    const outside = await run(["keys", "verify", "--ip", "192.0.2.1"], env, created.key);
    expect(outside.code).toBe(1);
    expect(outside.stdout).toMatch(/^code +IP_NOT_ALLOWED$/m);

    const first = await run(["keys", "verify", "--ip", "10.1.2.3", "--json"], env, created.key);
    expect(parsed(first)).toMatchObject({
      valid: true,
      code: "VALID",
      rateLimits: [
        { name: "burst", limit: 2, remaining: 1 },
        { name: "daily", limit: 100, remaining: 99 },
      ],
      quota: { remaining: 2 },
    });
    expect(parsed<{ degraded?: true }>(first).degraded).toBeUndefined();

    // A cost of 2 does not fit in burst's last unit.
    const limited = await run(["keys", "verify", "--ip", "10.1.2.3", "--cost", "2"], env, created.key);
    expect(limited.code).toBe(1);
    expect(limited.stdout).toMatch(/^code +RATE_LIMITED$/m);
    expect(limited.stdout).toMatch(/^rate limit +burst \d+ of 2 left, resets at \S+Z$/m);

    const noLimits = parsed(await run(["keys", "update", created.id, "--no-rate-limits", "--json"], env));
    expect(noLimits).toMatchObject({ rateLimits: [], ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"] });
    const spent = await run(["keys", "verify", "--ip", "2001:db8::1", "--cost", "2"], env, created.key);
    expect(spent.code).toBe(0);
    expect(spent.stdout).toMatch(/^quota left +0$/m);
    expect(spent.stdout).not.toMatch(/^rate limit /m);
    const exceeded = await run(["keys", "verify", "--ip", "10.1.2.3", "--json"], env, created.key);
    expect(exceeded.code).toBe(1);
    expect(JSON.parse(exceeded.stdout)).toMatchObject({ valid: false, code: "USAGE_EXCEEDED" });

    const topped = parsed<{ quota: { remaining: number } }>(
      await run(["keys", "quota", created.id, "--increment", "5", "--json"], env),
    );
    expect(topped.quota.remaining).toBe(5);
    const setHuman = await run(["keys", "quota", created.id, "--set", "1"], env);
    expect(setHuman.code).toBe(0);
    expect(setHuman.stdout).toMatch(/^quota +1 left, refilled to 5000 every month$/m);
    expect(
      parsed<{ quota: { remaining: number } }>(
        await run(["keys", "quota", created.id, "--decrement", "10", "--json"], env),
      ).quota.remaining,
    ).toBe(0);

    const replaced = parsed(
      await run(["keys", "update", created.id, "--quota", "10", "--refill", "100/day", "--json"], env),
    );
    expect(replaced).toMatchObject({ quota: { remaining: 10, refill: { amount: 100, interval: "day" } } });
    expect(
      parsed(
        await run(
          ["keys", "update", created.id, "--rate-limit", "fast=5/500ms", "--quota", "7", "--json"],
          env,
        ),
      ),
    ).toMatchObject({
      rateLimits: [{ name: "fast", limit: 5, windowMs: 500 }],
      quota: { remaining: 7, refill: null },
    });

    const cleared = parsed(
      await run(["keys", "update", created.id, "--no-quota", "--no-ip-allowlist", "--json"], env),
    );
    expect(cleared).toMatchObject({ quota: null, ipAllowlist: null });
    const open = await run(["keys", "show", created.id], env);
    expect(open.stdout).toMatch(/^quota +-$/m);
    expect(open.stdout).toMatch(/^ip allowlist +\(the project's\)$/m);
    expect((await run(["keys", "verify"], env, created.key)).code).toBe(0);

    expectOneErrorLine(await run(["keys", "quota", created.id, "--set", "5"], env), 1, "CONFLICT");
  });

  it("keys create passes the server's refusal of a bad IP or an out-of-range limit as one line", async () => {
    expectOneErrorLine(await run(["keys", "create", "--ip", "not-an-address"], env), 1, "VALIDATION_ERROR");
    expectOneErrorLine(
      await run(["keys", "create", "--rate-limit", "huge=9999999999999/1s"], env),
      1,
      "VALIDATION_ERROR",
    );
    expectOneErrorLine(
      await run(["keys", "create", "--rate-limit", "tiny=1/10ms"], env),
      1,
      "VALIDATION_ERROR",
    );
    expectOneErrorLine(await run(["keys", "quota", "key_doesnotexist", "--set", "1"], env), 1, "NOT_FOUND");
  });

  it("projects update sets and removes an IP allowlist and a time zone", async () => {
    const project = parsed<{ id: string; ipAllowlist: unknown; timezone: string }>(
      await run(["projects", "create", "fenced", "--json"], env),
    );
    expect(project.ipAllowlist).toBeNull();
    const key = parsed<{ key: string }>(
      await run(["keys", "create", "--project", project.id, "--json"], env),
    ).key;

    const fenced = await run(
      [
        "projects",
        "update",
        project.id,
        "--ip",
        "192.0.2.0/24",
        "--ip",
        "2001:db8::/32",
        "--timezone",
        "Europe/Paris",
        "--json",
      ],
      env,
    );
    expect(parsed(fenced)).toMatchObject({
      id: project.id,
      ipAllowlist: ["192.0.2.0/24", "2001:db8::/32"],
      timezone: "Europe/Paris",
    });
    const shown = await run(["projects", "show", project.id], env);
    expect(shown.stdout).toMatch(/^ip allowlist +192\.0\.2\.0\/24, 2001:db8::\/32$/m);
    expect(shown.stdout).toMatch(/^time zone +Europe\/Paris$/m);

    // The key has no list of its own, so the project's applies.
    const outside = await run(["keys", "verify", "--ip", "198.51.100.7", "--json"], env, key);
    expect(outside.code).toBe(1);
    expect(JSON.parse(outside.stdout)).toMatchObject({ code: "IP_NOT_ALLOWED" });
    expect((await run(["keys", "verify", "--ip", "192.0.2.9"], env, key)).code).toBe(0);

    const open = await run(["projects", "update", project.id, "--no-ip-allowlist"], env);
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(/^ip allowlist +\(any address\)$/m);
    expect(open.stdout).toMatch(/^time zone +Europe\/Paris$/m);
    expect((await run(["keys", "verify", "--ip", "198.51.100.7"], env, key)).code).toBe(0);

    const badZone = await run(["projects", "update", project.id, "--timezone", "Mars/Olympus"], env);
    expectOneErrorLine(badZone, 1, "VALIDATION_ERROR");
    expectOneErrorLine(
      await run(["projects", "update", project.id, "--ip", "300.1.1.1"], env),
      1,
      "VALIDATION_ERROR",
    );
  });

  it("projects create and update set require2fa with --require-2fa true|false, and projects show prints it", async () => {
    const project = parsed<{ id: string; require2fa: boolean }>(
      await run(["projects", "create", "strict", "--require-2fa", "true", "--json"], env),
    );
    expect(project.require2fa).toBe(true);
    expect((await run(["projects", "show", project.id], env)).stdout).toMatch(/^require 2fa +yes /m);
    const off = await run(["projects", "update", project.id, "--require-2fa", "false", "--json"], env);
    expect(parsed(off)).toMatchObject({ id: project.id, require2fa: false });
    const shown = await run(["projects", "show", project.id], env);
    expect(shown.stdout).toMatch(/^require 2fa +no$/m);
    const on = await run(["projects", "update", project.id, "--require-2fa", "TRUE"], env);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^require 2fa +yes /m);
    const plain = parsed<{ require2fa: boolean }>(await run(["projects", "create", "plain", "--json"], env));
    expect(plain.require2fa).toBe(false);
  });

  it("ratelimit check counts requests, exits 3 once limited, and overrides replace the limit", async () => {
    const check = (identifier: string, ...more: string[]) =>
      run(
        [
          "ratelimit",
          "check",
          "--namespace",
          "login",
          "--identifier",
          identifier,
          "--limit",
          "2",
          "--window",
          "1m",
          ...more,
        ],
        env,
      );
    const first = parsed<{ success: boolean; limit: number; remaining: number; resetAt: string }>(
      await check("alice", "--json"),
    );
    expect(first).toMatchObject({ success: true, limit: 2, remaining: 1 });
    expect(Date.parse(first.resetAt)).toBeGreaterThan(Date.now() - 1_000);
    const peek = parsed(await check("alice", "--cost", "0", "--json"));
    expect(peek).toMatchObject({ success: true, remaining: 1 });
    const second = await check("alice");
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^result +allowed$/m);
    expect(second.stdout).toMatch(/^remaining +0 of 2$/m);

    const third = await check("alice", "--json");
    expect(third.code).toBe(3);
    expect(third.stderr).toBe("");
    expect(third.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(third.stdout)).toMatchObject({ success: false, limit: 2, remaining: 0 });
    const humanLimited = await check("alice");
    expect(humanLimited.code).toBe(3);
    expect(humanLimited.stdout).toMatch(/^result +limited$/m);

    // Identifiers may hold any character: they travel in bodies and query strings, never in paths.
    const vip = "vip/user?x=1&y=é";
    const override = parsed(
      await run(
        [
          "ratelimit",
          "overrides",
          "set",
          "--namespace",
          "login",
          "--identifier",
          vip,
          "--limit",
          "100",
          "--window",
          "1h",
          "--json",
        ],
        env,
      ),
    );
    expect(override).toMatchObject({ namespace: "login", identifier: vip, limit: 100, windowMs: 3_600_000 });
    const overridden = await check(vip, "--json");
    expect(parsed(overridden)).toMatchObject({ success: true, limit: 100, remaining: 99, overridden: true });
    expect((await check(vip)).stdout).toMatch(/^overridden +yes/m);

    const humanSet = await run(
      [
        "ratelimit",
        "overrides",
        "set",
        "--namespace",
        "login",
        "--identifier",
        "bot",
        "--limit",
        "1",
        "--window",
        "90s",
      ],
      env,
    );
    expect(humanSet.code).toBe(0);
    expect(humanSet.stdout).toMatch(/^identifier +bot$/m);
    expect(humanSet.stdout).toMatch(/^limit +1\/90s$/m);

    const listed = parsed<{ items: Array<{ identifier: string }>; nextCursor: string | null }>(
      await run(["ratelimit", "overrides", "list", "--namespace", "login", "--json"], env),
    );
    expect(listed.items.map((o) => o.identifier).sort()).toEqual(["bot", vip].sort());
    const paged = parsed<{ items: unknown[]; nextCursor: string }>(
      await run(["ratelimit", "overrides", "list", "--namespace", "login", "--limit", "1", "--json"], env),
    );
    expect(paged.items).toHaveLength(1);
    expect(paged.nextCursor).toEqual(expect.any(String));
    const table = await run(["ratelimit", "overrides", "list", "--namespace", "login"], env);
    expect(table.stdout).toMatch(/^IDENTIFIER +LIMIT +WINDOW +CREATED$/m);
    expect(table.stdout).toMatch(/^bot +1 +90s +\S+Z$/m);

    expect(
      parsed(
        await run(
          ["ratelimit", "overrides", "delete", "--namespace", "login", "--identifier", vip, "--json"],
          env,
        ),
      ),
    ).toEqual({ namespace: "login", identifier: vip, deleted: true });
    const humanDelete = await run(
      ["ratelimit", "overrides", "delete", "--namespace", "login", "--identifier", "bot"],
      env,
    );
    expect(humanDelete.code).toBe(0);
    expect(humanDelete.stdout).toMatch(/^deleted override +bot$/m);
    expectOneErrorLine(
      await run(["ratelimit", "overrides", "delete", "--namespace", "login", "--identifier", "bot"], env),
      1,
      "NOT_FOUND",
    );
    expect((await run(["ratelimit", "overrides", "list", "--namespace", "login"], env)).stdout).toBe(
      "No overrides.\n",
    );

    expectOneErrorLine(
      await run(
        [
          "ratelimit",
          "check",
          "--namespace",
          "bad ns",
          "--identifier",
          "a",
          "--limit",
          "1",
          "--window",
          "1s",
        ],
        env,
      ),
      1,
      "VALIDATION_ERROR",
    );
  });

  it("webhooks: create, list, show, update, deliveries, retry and delete", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const created = parsed<{ secret: string; id: string; url: string; events: string[]; enabled: boolean }>(
        await run(
          [
            "webhooks",
            "create",
            "--url",
            receiver.url,
            "--events",
            "key.created,key.rotated",
            "--description",
            "ci hook",
            "--json",
          ],
          env,
        ),
      );
      expect(created).toMatchObject({
        url: receiver.url,
        events: ["key.created", "key.rotated"],
        enabled: true,
        description: "ci hook",
      });
      expect(created.secret).toMatch(/^whsec_/);
      expect(created.id).toMatch(/^wh_/);

      // A secret of one's own, read from stdin: human mode does not print it back.
      const ownSecret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
      const own = await run(
        [
          "webhooks",
          "create",
          "--url",
          receiver.url,
          "--events",
          "key.revoked",
          "--disabled",
          "--secret-stdin",
        ],
        env,
        `${ownSecret}\n`,
      );
      expect(own.code).toBe(0);
      expect(own.stderr).toBe("");
      expect(own.stdout).not.toContain(ownSecret);
      expect(own.stdout).not.toContain("will NOT be shown again");
      expect(own.stdout).toMatch(/^status +disabled$/m);
      const ownId = /^id +(wh_\S+)$/m.exec(own.stdout)?.[1] ?? "";

      // A generated secret in human mode: printed once, on its own line, with a warning.
      const human = await run(
        ["webhooks", "create", "--url", receiver.url, "--events", "*", "--disabled"],
        env,
      );
      expect(human.stdout).toContain("will NOT be shown again");
      expect(human.stdout).toMatch(/^ {2}whsec_\S+$/m);
      const humanId = /^id +(wh_\S+)$/m.exec(human.stdout)?.[1] ?? "";

      const list = parsed<{ items: Array<{ id: string }> }>(await run(["webhooks", "list", "--json"], env));
      expect(list.items.map((w) => w.id)).toEqual(expect.arrayContaining([created.id, ownId, humanId]));
      expect(JSON.stringify(list)).not.toContain("whsec_");
      const table = await run(["webhooks", "list"], env);
      expect(table.stdout).toMatch(/^ID +PROJECT +STATUS +URL +EVENTS +DESCRIPTION$/m);
      expect(table.stdout).toMatch(
        new RegExp(`^${created.id} .* enabled +\\S+ +key.created, key.rotated +ci hook$`, "m"),
      );
      const shown = await run(["webhooks", "show", created.id], env);
      expect(shown.stdout).toMatch(/^events +key.created, key.rotated$/m);
      expect(shown.stdout).not.toContain("whsec_");

      // A key event is delivered, signed with the secret printed at creation.
      const key = parsed<{ id: string }>(await run(["keys", "create", "--name", "hooked", "--json"], env));
      await receiver.waitFor((all) => all.some((r) => r.body.includes(key.id)));
      const request = receiver.received.find((r) => r.body.includes(key.id));
      if (request === undefined) throw new Error("no webhook request");
      expect(new Webhook(created.secret).verify(request.body, request.headers)).toMatchObject({
        type: "key.created",
      });
      const eventId = request.headers["webhook-id"] ?? "";

      const readDeliveries = async () =>
        parsed<Page<Delivery>>(await run(["webhooks", "deliveries", created.id, "--json"], env));
      const deliveries = await eventually(readDeliveries, (page) =>
        page.items.some((d) => d.id === eventId && d.status === "delivered"),
      );
      expect(deliveries.items.find((d) => d.id === eventId)).toMatchObject({
        webhookId: created.id,
        eventType: "key.created",
        attempts: 1,
        nextAttemptAt: null,
        attemptLog: [{ attempt: 1, statusCode: 200, error: null }],
      });
      const deliveryTable = await run(["webhooks", "deliveries", created.id], env);
      expect(deliveryTable.stdout).toMatch(/^EVENT +TYPE +STATUS +ATTEMPTS +LAST RESULT +NEXT ATTEMPT$/m);
      expect(deliveryTable.stdout).toMatch(
        new RegExp(`^${eventId} +key.created +delivered +1 +200 +-$`, "m"),
      );
      expect(
        parsed(await run(["webhooks", "deliveries", created.id, "--status", "failed", "--json"], env)),
      ).toEqual({
        items: [],
        nextCursor: null,
      });

      const retried = parsed(await run(["webhooks", "retry", created.id, eventId, "--json"], env));
      expect(retried).toMatchObject({ id: eventId, status: "pending" });
      await receiver.waitFor((all) => all.filter((r) => r.headers["webhook-id"] === eventId).length === 2);
      const retriedHuman = await run(["webhooks", "retry", created.id, eventId], env);
      expect(retriedHuman.stdout).toMatch(new RegExp(`^event +${eventId}$`, "m"));
      expect(retriedHuman.stdout).toMatch(/^type +key.created$/m);
      expectOneErrorLine(
        await run(["webhooks", "retry", created.id, "evt_doesnotexist"], env),
        1,
        "NOT_FOUND",
      );

      const updated = parsed(
        await run(
          [
            "webhooks",
            "update",
            created.id,
            "--disable",
            "--description",
            "",
            "--events",
            "key.revoked",
            "--json",
          ],
          env,
        ),
      );
      expect(updated).toMatchObject({
        id: created.id,
        enabled: false,
        description: null,
        events: ["key.revoked"],
      });
      const enabled = await run(
        ["webhooks", "update", ownId, "--enable", "--url", `${receiver.url}/v2`],
        env,
      );
      expect(enabled.stdout).toMatch(/^status +enabled$/m);
      expect(enabled.stdout).toMatch(/^url +\S+\/webhook\/v2$/m);

      for (const id of [created.id, ownId]) {
        expect(parsed(await run(["webhooks", "delete", id, "--json"], env))).toEqual({ id, deleted: true });
      }
      expect(await run(["webhooks", "delete", humanId], env)).toEqual({
        code: 0,
        stdout: `Deleted webhook ${humanId}.\n`,
        stderr: "",
      });
      expectOneErrorLine(await run(["webhooks", "show", created.id], env), 1, "NOT_FOUND");
      expectOneErrorLine(await run(["webhooks", "delete", created.id], env), 1, "NOT_FOUND");
    } finally {
      await receiver.close();
    }
  });

  it("webhooks create refuses bad input: the server's errors, and a non-whsec secret without echoing it", async () => {
    expectOneErrorLine(
      await run(["webhooks", "create", "--url", "https://hooks.example.com/k", "--events", "key.bogus"], env),
      1,
      "VALIDATION_ERROR",
    );
    const insecure = await run(
      ["webhooks", "create", "--url", "http://hooks.example.com/k", "--events", "key.created"],
      env,
    );
    expectOneErrorLine(insecure, 1, "VALIDATION_ERROR");
    expect(insecure.stderr).toContain("https");
    const notSecret = await run(
      ["webhooks", "create", "--url", "https://hooks.example.com/k", "--events", "*", "--secret-stdin"],
      env,
      "kw_thisIsAKeyNotASecret",
    );
    expectOneErrorLine(notSecret, 1, "VALIDATION_ERROR");
    expect(notSecret.stderr).not.toContain("kw_thisIsAKeyNotASecret");
    expectOneErrorLine(
      await run(
        ["webhooks", "create", "--url", "https://hooks.example.com/k", "--events", "*", "--secret-stdin"],
        env,
        "",
      ),
      1,
      "VALIDATION_ERROR",
    );
  });

  it("admin tokens: create, use, list, revoke; a token cannot exceed its permissions", async () => {
    const created = parsed<{ token: string; id: string; permissions: string[] }>(
      await run(
        ["tokens", "create", "--name", "reader", "--permissions", "keys:read,projects:read", "--json"],
        env,
      ),
    );
    expect(created.permissions).toEqual(["keys:read", "projects:read"]);
    const readerEnv = { ...env, KEYWARD_TOKEN: created.token };

    expect((await run(["keys", "list"], readerEnv)).code).toBe(0);
    const projects = await run(["projects", "list"], readerEnv);
    expect(projects.code).toBe(0);
    expect(projects.stdout).toMatch(/^ID +NAME +KEY PREFIX +CREATED$/m);
    expect(projects.stdout).toMatch(/ default +kw /);

    const forbidden = await run(["keys", "create"], readerEnv);
    expectOneErrorLine(forbidden, 1, "FORBIDDEN");
    expect(forbidden.stderr).not.toContain(created.token);

    const listed = await run(["tokens", "list"], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +NAME +PERMISSIONS +PROJECTS +START +STATUS +LAST USED$/m);
    expect(listed.stdout).toContain("reader");
    expect(listed.stdout).not.toContain(created.token);

    const revoked = await run(["tokens", "revoke", created.id], env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^status +revoked$/m);

    const refused = await run(["keys", "list"], readerEnv);
    expectOneErrorLine(refused, 1, "UNAUTHORIZED");
    expect(refused.stderr).not.toContain(created.token);
  });

  it("tokens create prints the token once in human mode, limited to a project", async () => {
    const projects = parsed<{ items: Array<{ id: string }> }>(await run(["projects", "list", "--json"], env));
    const projectId = projects.items[0]?.id ?? "";
    const created = await run(
      ["tokens", "create", "--name", "ci", "--permissions", "keys:*", "--projects", projectId],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("will NOT be shown again");
    expect(created.stdout).toMatch(/^ {2}kwr_\S+$/m);
    expect(created.stdout).toMatch(new RegExp(`^projects +${projectId}$`, "m"));
    expect(created.stdout).toMatch(/^permissions +keys:\*$/m);
  });

  it("every --json output is one line of JSON", async () => {
    for (const argv of [
      ["projects", "list", "--json"],
      ["keys", "list", "--json"],
      ["tokens", "list", "--json"],
      ["webhooks", "list", "--json"],
      ["ratelimit", "overrides", "list", "--namespace", "nobody", "--json"],
    ]) {
      const result = await run(argv, env);
      expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
      expect(parsed(result)).toHaveProperty("items");
    }
  });

  it("a missing KEYWARD_TOKEN is one line and exit 1, before any request", async () => {
    const result = await run(["keys", "list"], { KEYWARD_URL: server.url });
    expectOneErrorLine(result, 1, "CONFIG_INVALID");
    expect(result.stderr).toContain("KEYWARD_TOKEN");
  });

  it("API errors are one line with the server's code", async () => {
    expectOneErrorLine(await run(["keys", "show", "key_doesnotexist"], env), 1, "NOT_FOUND");
    expectOneErrorLine(
      await run(["projects", "create", "x", "--prefix", "Bad!"], env),
      1,
      "VALIDATION_ERROR",
    );
    expectOneErrorLine(await run(["keys", "create", "--expires", "2000-01-01"], env), 1, "VALIDATION_ERROR");
  });

  it("a wrong token is UNAUTHORIZED and is not echoed", async () => {
    const wrong = "kwr_definitelyNotAValidToken000000000000000";
    const result = await run(["keys", "list"], { ...env, KEYWARD_TOKEN: wrong });
    expectOneErrorLine(result, 1, "UNAUTHORIZED");
    expect(result.stderr).not.toContain(wrong);
  });

  it("an unreachable server is NETWORK_ERROR naming the URL, not the token", async () => {
    const result = await run(["keys", "list", "--url", "http://127.0.0.1:1"], env);
    expectOneErrorLine(result, 1, "NETWORK_ERROR");
    expect(result.stderr).toContain("http://127.0.0.1:1/v1/keys");
    expect(result.stderr).not.toContain(rootToken);
  });

  it("keys verify refuses a key in argv without echoing it, and an empty stdin", async () => {
    const inArgv = await run(["keys", "verify", "kw_thisShouldNeverBeEchoed"], env);
    expectOneErrorLine(inArgv, 2, "USAGE_ERROR");
    expect(inArgv.stderr).not.toContain("kw_thisShouldNeverBeEchoed");
    expect(inArgv.stderr).toContain("standard input");
    expectOneErrorLine(await run(["keys", "verify"], env, "  \n"), 1, "VALIDATION_ERROR");
    expectOneErrorLine(await run(["keys", "verify"], env, "x".repeat(5000)), 1, "VALIDATION_ERROR");
  });
});

describe("keyward CLI usage", () => {
  const env = { KEYWARD_TOKEN: "kwr_unused", KEYWARD_URL: "http://127.0.0.1:1" };

  it.each([
    [["frob"], "unknown command 'frob'"],
    [["keys", "frob"], "unknown command 'frob'"],
    [["keys", "list", "--frob"], "unknown option '--frob'"],
    [["keys", "create", "--expires", "soon"], "Expected a duration"],
    [["keys", "create", "--meta", "[1]"], "JSON object"],
    [["keys", "list", "--limit", "0"], "from 1 to 100"],
    [["keys", "update", "key_1"], "nothing to update"],
    [["keys", "update", "key_1", "--enable", "--disable"], "cannot be used with"],
    [["keys", "show"], "missing required argument 'id'"],
    [["tokens", "create", "--name", "x"], "--permissions"],
    [["serve", "--port", "70000"], "from 0 to 65535"],
    [["keys", "rotate", "key_1", "--grace", "31d"], "at most 30 days"],
    [["keys", "rotate", "key_1", "--grace", "soon"], "Expected a duration"],
    [["keys", "rotate"], "missing required argument 'id'"],
    [["keys", "revoke", "key_1", "--owner", "cus_1"], "not both"],
    [["keys", "revoke", "key_1", "--project", "proj_1"], "not both"],
    [["keys", "revoke"], "pass a key id, or --owner"],
    [["keys", "revoke", "--reason", "x"], "pass a key id, or --owner"],
    [["projects", "update", "proj_1"], "nothing to update"],
    [["projects", "show"], "missing required argument 'id'"],
    [["webhooks", "create", "--events", "key.created"], "--url"],
    [["webhooks", "create", "--url", "https://hooks.example.com"], "--events"],
    [
      ["webhooks", "create", "--url", "https://h.example.com", "--events", "*", "--secret", "whsec_x"],
      "unknown option",
    ],
    [["webhooks", "update", "wh_1"], "nothing to update"],
    [["webhooks", "update", "wh_1", "--enable", "--disable"], "cannot be used with"],
    [
      ["webhooks", "deliveries", "wh_1", "--status", "bogus"],
      "Allowed choices are pending, delivered, failed",
    ],
    [["webhooks", "retry", "wh_1"], "missing required argument 'event-id'"],
    [["keys", "create", "--rate-limit", "burst"], "name=LIMIT/WINDOW"],
    [["keys", "create", "--rate-limit", "burst=10/1y"], "name=LIMIT/WINDOW"],
    [["keys", "create", "--rate-limit", "bad name=10/1s"], "name=LIMIT/WINDOW"],
    [["keys", "update", "key_1", "--rate-limit", "burst=ten/1s"], "name=LIMIT/WINDOW"],
    [["keys", "create", "--quota", "-1"], "from 0 to"],
    [["keys", "create", "--refill", "10/week"], "AMOUNT/day or AMOUNT/month"],
    [["keys", "create", "--no-quota"], "unknown option '--no-quota'"],
    [["keys", "update", "key_1", "--refill", "10/day"], "--refill needs --quota"],
    [["keys", "update", "key_1", "--no-quota", "--refill", "10/day"], "not both"],
    [["keys", "update", "key_1", "--ip", "::1", "--no-ip-allowlist"], "not both"],
    [["keys", "update", "key_1", "--rate-limit", "a=1/1s", "--no-rate-limits"], "not both"],
    [["keys", "quota", "key_1"], "exactly one of --set, --increment or --decrement"],
    [["keys", "quota", "key_1", "--set", "1", "--increment", "2"], "exactly one of"],
    [["keys", "quota", "key_1", "--set", "x"], "whole number"],
    [["keys", "quota"], "missing required argument 'id'"],
    [["keys", "verify", "--cost", "-1"], "from 0 to 1000000"],
    [["projects", "update", "proj_1", "--ip", "::1", "--no-ip-allowlist"], "not both"],
    [["projects", "update", "proj_1", "--require-2fa", "yes"], "Expected true or false"],
    [["projects", "create", "x", "--require-2fa"], "argument missing"],
    [["ratelimit", "check", "--namespace", "n", "--identifier", "i", "--limit", "10"], "--window"],
    [
      ["ratelimit", "check", "--namespace", "n", "--identifier", "i", "--limit", "0", "--window", "1m"],
      "from 1 to",
    ],
    [
      ["ratelimit", "check", "--namespace", "n", "--identifier", "i", "--limit", "1", "--window", "soon"],
      "Expected a window",
    ],
    [["ratelimit", "check", "--identifier", "i", "--limit", "1", "--window", "1m"], "--namespace"],
    [["ratelimit", "overrides", "set", "--namespace", "n", "--identifier", "i", "--limit", "5"], "--window"],
    [["ratelimit", "overrides", "list"], "--namespace"],
    [["ratelimit", "overrides", "delete", "--namespace", "n"], "--identifier"],
  ])("%j is a usage error: one line, exit 2", async (argv, message) => {
    const result = await run(argv, env);
    expectOneErrorLine(result, 2, "USAGE_ERROR");
    expect(result.stderr).toContain(message);
  });

  it("--help prints usage to stdout and exits 0", async () => {
    const result = await run(["--help"], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: keyward");
    expect(result.stdout).toContain("KEYWARD_TOKEN");
    const keys = await run(["keys", "--help"], {});
    expect(keys.code).toBe(0);
    expect(keys.stdout).toMatch(/verify/);
    const create = await run(["keys", "create", "--help"], {});
    expect(create.stdout).toContain("--expires <when>");
    expect(create.stdout).not.toContain("--token");
    expect(result.stdout).toContain("3 ratelimit check: limited");
    const check = await run(["ratelimit", "check", "--help"], {});
    expect(check.stdout).toContain("--window <window>");
    expect(check.stdout).toMatch(/0 when\s+allowed, 3 when limited/);
    const update = await run(["keys", "update", "--help"], {});
    expect(update.stdout).toContain("--rate-limit <name=limit/window>");
    expect(update.stdout).toContain("--no-ip-allowlist");
    const webhooksCreate = await run(["webhooks", "create", "--help"], {});
    expect(webhooksCreate.stdout).toContain("--server <url>");
    expect(webhooksCreate.stdout).toContain("--secret-stdin");
    expect(webhooksCreate.stdout).not.toMatch(/--secret </);
  });

  it("--version prints the package version", async () => {
    const result = await run(["--version"], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("a command group without a subcommand shows its help and exits 2", async () => {
    const result = await run(["keys"], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: keyward keys");
  });

  it("init reports an invalid configuration as one line", async () => {
    const dataDir = tempDir();
    try {
      const result = await run(["init"], { KEYWARD_DATA_DIR: dataDir, KEYWARD_KEY_BYTES: "3" });
      expectOneErrorLine(result, 1, "CONFIG_INVALID");
      expect(result.stderr).toContain("KEYWARD_KEY_BYTES");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("keyward init (human output)", () => {
  it("prints the root token once with a warning and the master key path", async () => {
    const dataDir = tempDir();
    try {
      const result = await run(["init", "--data-dir", dataDir], { KEYWARD_LOG_LEVEL: "silent" });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout).toContain("will NOT be shown again");
      expect(result.stdout).toContain(join(dataDir, "master.key"));
      const token = /^ {2}(\S+)$/m.exec(result.stdout)?.[1];
      expect(token).toBeDefined();
      const again = await run(["init", "--data-dir", dataDir], {});
      expect(again.stdout).toContain("already initialized");
      expect(again.stdout).not.toContain(token);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("keyward serve", () => {
  /** Starts `serve` in-process and resolves once it printed a line matching `ready`. */
  async function startServe(argv: string[], env: Env, ready: RegExp) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const controller = new AbortController();
    let out = "";
    let err = "";
    stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    const exit = runCli(argv, { env, stdout, stderr, stdin: Readable.from([]), signal: controller.signal });
    const deadline = Date.now() + 10_000;
    while (!ready.test(`${out}${err}`)) {
      const finished = await Promise.race([exit, new Promise((r) => setTimeout(r, 20))]);
      if (typeof finished === "number") throw new Error(`serve exited ${finished}: ${err}`);
      if (Date.now() > deadline) throw new Error(`serve did not start: ${out}${err}`);
    }
    return { exit, stop: () => controller.abort(), output: () => ({ stdout: out, stderr: err }) };
  }

  it("--json prints the root token once and the URL, serves, and exits 0 on stop", async () => {
    const dataDir = tempDir();
    const env = { KEYWARD_LOG_LEVEL: "silent", KEYWARD_PORT: "not-a-port-but-overridden" };
    const listenersBefore = process.listenerCount("SIGINT");
    try {
      const serving = await startServe(
        ["serve", "--port", "0", "--data-dir", dataDir, "--json"],
        env,
        /"url"/,
      );
      expect(process.listenerCount("SIGINT")).toBe(listenersBefore + 1);
      const lines = serving
        .output()
        .stdout.trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { rootToken?: string; url?: string });
      const rootToken = lines.find((l) => l.rootToken !== undefined)?.rootToken;
      const url = lines.find((l) => l.url !== undefined)?.url;
      if (rootToken === undefined || url === undefined) throw new Error(serving.output().stdout);

      const client = new KeywardClient({ baseUrl: url, token: rootToken });
      expect(await client.health()).toEqual({ status: "ok" });
      const listed = await run(["projects", "list", "--json"], {
        KEYWARD_URL: url,
        KEYWARD_TOKEN: rootToken,
      });
      expect(parsed<{ items: unknown[] }>(listed).items).toHaveLength(1);

      serving.stop();
      expect(await serving.exit).toBe(0);
      expect(process.listenerCount("SIGINT")).toBe(listenersBefore);
      await expect(client.health()).rejects.toMatchObject({ code: "NETWORK_ERROR" });

      // Second start on the same data directory: no root token this time.
      const again = await startServe(["serve", "--port", "0", "--data-dir", dataDir, "--json"], env, /"url"/);
      again.stop();
      expect(await again.exit).toBe(0);
      expect(again.output().stdout).not.toContain("rootToken");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("human mode prints a loud root token banner and the URL on stderr", async () => {
    const dataDir = tempDir();
    try {
      const serving = await startServe(
        ["serve", "--port", "0"],
        { KEYWARD_DATA_DIR: dataDir, KEYWARD_LOG_LEVEL: "silent" },
        /listening on/,
      );
      const { stderr } = serving.output();
      expect(stderr).toContain("ROOT TOKEN: shown ONCE. It will NOT be shown again.");
      expect(stderr).toMatch(/^ {4}kwr_\S+$/m);
      expect(stderr).toMatch(/Keyward is listening on http:\/\/127\.0\.0\.1:\d+/);
      serving.stop();
      expect(await serving.exit).toBe(0);
      expect(serving.output().stderr).toContain("shutting down");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a port in use is one error line and exit 1", async () => {
    const dataDir = tempDir();
    const first = await startServe(
      ["serve", "--port", "0", "--json"],
      { KEYWARD_DATA_DIR: dataDir, KEYWARD_LOG_LEVEL: "silent" },
      /"url"/,
    );
    try {
      const url = /"url":"([^"]+)"/.exec(first.output().stdout)?.[1] ?? "";
      const port = new URL(url).port;
      const result = await run(["serve", "--port", port], {
        KEYWARD_DATA_DIR: dataDir,
        KEYWARD_LOG_LEVEL: "silent",
      });
      expectOneErrorLine(result, 1, "EADDRINUSE");
    } finally {
      first.stop();
      await first.exit;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
