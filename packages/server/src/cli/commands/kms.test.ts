import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { readAll } from "../../../test/support/cli-server.js";
import { parseConfig } from "../../config.js";
import { openInstance } from "../../instance.js";
import type { PepperStatus } from "../../kms/pepper-rotation.js";
import { runCli } from "../main.js";

async function kms(args: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(["kms", ...args], { env, stdout, stderr, stdin: Readable.from([]) });
  return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
}

const dirs: string[] = [];
/** The root token each data directory from {@link initializedDataDir} was initialized with. */
const rootTokens = new Map<string, string>();
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A data directory initialized by a server start: a keyring file, a sealed pepper and audit signing key. */
async function initializedDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-cli-kms-"));
  dirs.push(dataDir);
  const config = parseConfig({ KEYWARD_DATA_DIR: dataDir }, { logLevel: "silent" });
  const instance = await openInstance({ config });
  if (instance.rootToken !== null) rootTokens.set(dataDir, instance.rootToken);
  await instance.close();
  return dataDir;
}

describe("keyward kms", () => {
  it("rotates the master key of a data directory, reports each version's values, and retires the old one", async () => {
    const env = { KEYWARD_DATA_DIR: await initializedDataDir() };
    const before = JSON.parse((await kms(["status", "--json"], env)).stdout);
    expect(before).toMatchObject({ versions: [{ current: true, sealedValues: 2 }], pending: 0 });
    const old = before.versions[0].keyId as string;

    const rotated = await kms(["rotate"], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(
      /Every sealed value is under master key version local:[0-9a-f]{16} \(2 rewrapped/,
    );
    expect(rotated.stdout).toContain(`keyward kms retire ${old}`);

    const status = await kms(["status"], env);
    expect(status.stdout).toMatch(new RegExp(`  ${old}  0 sealed value\\(s\\)`));
    expect(status.stdout).toMatch(/\* local:[0-9a-f]{16} {2}2 sealed value\(s\)/);

    const retired = await kms(["retire", old, "--json"], env);
    expect(JSON.parse(retired.stdout)).toEqual({ retired: old });
    // The data directory still opens: the pepper is under the current version.
    const instance = await openInstance({ config: parseConfig(env, { logLevel: "silent" }) });
    await instance.close();
  });

  it("refuses to retire a version still in use, and to make versions of a key from KEYWARD_MASTER_KEY", async () => {
    const env = { KEYWARD_DATA_DIR: await initializedDataDir() };
    await kms(["rotate", "--json"], env);
    const { versions } = JSON.parse((await kms(["status", "--json"], env)).stdout);
    const current = versions.find((v: { current: boolean }) => v.current).keyId;
    const refused = await kms(["retire", current], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/current master key version cannot be retired|still use/);

    const fromEnv = {
      KEYWARD_DATA_DIR: env.KEYWARD_DATA_DIR,
      KEYWARD_MASTER_KEY: randomBytes(32).toString("base64"),
    };
    const noVersions = await kms(["rotate"], fromEnv);
    expect(noVersions.code).not.toBe(0);
    expect(noVersions.stderr).toMatch(/KEYWARD_MASTER_KEY/);
  });
});

describe("keyward kms pepper-*", () => {
  const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  async function pepperStatus(env: Record<string, string>) {
    const run = await kms(["pepper-status", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as PepperStatus;
  }

  it("pepper-status of a fresh data directory shows version 1 current, holding the root token", async () => {
    const env = { KEYWARD_DATA_DIR: await initializedDataDir() };
    expect(await pepperStatus(env)).toMatchObject({
      current: 1,
      versions: [
        {
          version: 1,
          state: "current",
          retiredAt: null,
          keys: { active: 0, revoked: 0 },
          tokens: { active: 1, revoked: 0 },
        },
      ],
      pending: { keys: 0, tokens: 0 },
    });
    const human = await kms(["pepper-status"], env);
    expect(human.stdout.trim().split("\n").at(-1)).toBe(
      "Every key and token uses the current pepper (or a newer one).",
    );
  });

  it("pepper-rotate --activate-in 0 makes version 2 current at once, never prints the sealed pepper, and leaves the root token pending on v1", async () => {
    const env = { KEYWARD_DATA_DIR: await initializedDataDir() };
    const before = Date.now();
    const rotated = await kms(["pepper-rotate", "--activate-in", "0", "--json"], env);
    const after = Date.now();
    expect(rotated.code, rotated.stderr).toBe(0);
    const added = JSON.parse(rotated.stdout) as Record<string, unknown>;
    expect(added).toMatchObject({ version: 2, retiredAt: null });
    expect(added).not.toHaveProperty("sealedPepper");
    expect(added.activatesAt).toBeGreaterThanOrEqual(before);
    expect(added.activatesAt).toBeLessThanOrEqual(after);
    expect(added.activatesAt).toBe(added.createdAt);

    const human = await kms(["pepper-status"], env);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(`^ {2}v1 {2}previous {2}since ${ISO} {2}0 key\\(s\\), 1 token\\(s\\) \\(0 revoked\\)$`),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^\\* v2 {2}current {3}since ${ISO} {2}0 key\\(s\\), 0 token\\(s\\) \\(0 revoked\\)$`),
    );
    expect(lines[2]).toBe(
      "0 key(s) and 1 token(s) still use an older pepper; each moves at its next verification.",
    );
    expect((await pepperStatus(env)).pending).toEqual({ keys: 0, tokens: 1 });
  });

  it("after a rotation the root token still authenticates, and moves to the new version once its re-digest is written", async () => {
    const dataDir = await initializedDataDir();
    const rootToken = rootTokens.get(dataDir) ?? "";
    expect(rootToken).not.toBe("");
    const env = { KEYWARD_DATA_DIR: dataDir };
    const rotated = await kms(["pepper-rotate", "--activate-in", "0"], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(
      new RegExp(`^Pepper version 2 added; servers digest with it from ${ISO}\\.\\n`),
    );

    // A flush interval far beyond the test, so only the explicit flush below writes the re-digest.
    const config = parseConfig(
      { KEYWARD_DATA_DIR: dataDir, KEYWARD_USAGE_FLUSH_MS: "600000" },
      { logLevel: "silent" },
    );
    const instance = await openInstance({ config });
    try {
      expect(instance.peppers.schedule().current.version).toBe(2);
      expect(await instance.tokens.authenticate(rootToken)).not.toBeNull();
      expect(await instance.tokens.authenticate(`${rootToken.slice(0, -1)}x`)).toBeNull();
      expect((await pepperStatus(env)).pending).toEqual({ keys: 0, tokens: 1 });
      await instance.tokens.lookup.redigests.flush();
      const status = await pepperStatus(env);
      expect(status.pending).toEqual({ keys: 0, tokens: 0 });
      expect(status.versions.map((v) => [v.version, v.state, v.tokens.active])).toEqual([
        [1, "previous", 0],
        [2, "current", 1],
      ]);
    } finally {
      await instance.close();
    }
    // Under its new digest, from a cold cache, it still authenticates.
    const reopened = await openInstance({ config });
    try {
      expect(await reopened.tokens.authenticate(rootToken)).not.toBeNull();
    } finally {
      await reopened.close();
    }
  });

  it("refuses a second rotation while a staged version has not activated", async () => {
    const env = { KEYWARD_DATA_DIR: await initializedDataDir() };
    const hour = 3_600_000;
    const before = Date.now();
    const staged = await kms(["pepper-rotate", "--activate-in", "1h", "--json"], env);
    expect(staged.code, staged.stderr).toBe(0);
    const { activatesAt } = JSON.parse(staged.stdout) as { activatesAt: number };
    expect(activatesAt).toBeGreaterThanOrEqual(before + hour);
    expect(activatesAt).toBeLessThanOrEqual(Date.now() + hour);

    const status = await pepperStatus(env);
    expect(status.current).toBe(1);
    expect(status.versions.map((v) => [v.version, v.state])).toEqual([
      [1, "current"],
      [2, "staged"],
    ]);
    const human = await kms(["pepper-status"], env);
    expect(human.stdout).toContain(`  v2  staged    activates ${new Date(activatesAt).toISOString()}  `);

    const again = await kms(["pepper-rotate", "--activate-in", "0"], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toBe(
      `error: CONFLICT: Pepper version 2 activates at ${new Date(activatesAt).toISOString()}; rotate again after that.\n`,
    );
    const retireStaged = await kms(["pepper-retire", "2"], env);
    expect(retireStaged.code).toBe(1);
    expect(retireStaged.stderr).toMatch(/^error: CONFLICT: Pepper version 2 is the staged one/);
    expect((await pepperStatus(env)).versions).toHaveLength(2);
  });

  it("pepper-retire refuses the current version and one a token still uses, unless --force", async () => {
    const dataDir = await initializedDataDir();
    const env = { KEYWARD_DATA_DIR: dataDir };
    const current = await kms(["pepper-retire", "1"], env);
    expect(current.code).toBe(1);
    expect(current.stderr).toMatch(
      /^error: CONFLICT: Pepper version 1 is the current one; only older versions/,
    );

    await kms(["pepper-rotate", "--activate-in", "0"], env);
    const inUse = await kms(["pepper-retire", "1", "--json"], env);
    expect(inUse.code).toBe(1);
    expect(inUse.stdout).toBe("");
    expect(inUse.stderr).toMatch(
      /^error: CONFLICT: 0 key\(s\) and 1 token\(s\) still use pepper version 1: .*--force/,
    );
    expect((await pepperStatus(env)).versions[0]?.state).toBe("previous");

    const forced = await kms(["pepper-retire", "1", "--force", "--json"], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ retired: 1 });
    const status = await pepperStatus(env);
    expect(status.versions.map((v) => [v.version, v.state])).toEqual([
      [1, "retired"],
      [2, "current"],
    ]);
    // The token left on version 1 can no longer move: stranded, not pending.
    expect(status.pending).toEqual({ keys: 0, tokens: 0 });
    expect(status.stranded).toEqual({ keys: 0, tokens: 1 });
    expect((await kms(["pepper-status"], env)).stdout).toContain(
      "0 key(s) and 1 token(s) were left on a retired pepper and no longer verify: revoke them.",
    );
    const twice = await kms(["pepper-retire", "1", "--force"], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^error: CONFLICT: Pepper version 1 is retired already/);

    // What --force warned about: the token never re-digested no longer authenticates.
    const instance = await openInstance({ config: parseConfig(env, { logLevel: "silent" }) });
    try {
      expect(await instance.tokens.authenticate(rootTokens.get(dataDir) ?? "")).toBeNull();
    } finally {
      await instance.close();
    }
  });

  it("refuses an --activate-in that is not a duration, and an unknown version to retire", async () => {
    const env = { KEYWARD_DATA_DIR: await initializedDataDir() };
    for (const bad of ["soon", "-5m", "10", "1.5h"]) {
      const refused = await kms(["pepper-rotate", "--activate-in", bad], env);
      expect(refused.code, bad).toBe(2);
      expect(refused.stderr, bad).toMatch(
        /^error: USAGE_ERROR: .*--activate-in.*Expected a duration such as 30s, 2m or 1h, or 0\./,
      );
    }
    expect((await pepperStatus(env)).versions).toHaveLength(1);

    const unknown = await kms(["pepper-retire", "7"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: NOT_FOUND: No pepper version 7 exists.\n");
  });
});
