import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { readAll } from "../../../test/support/cli-server.js";
import { parseConfig } from "../../config.js";
import { openInstance } from "../../instance.js";
import { runCli } from "../main.js";

async function kms(args: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(["kms", ...args], { env, stdout, stderr, stdin: Readable.from([]) });
  return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A data directory initialized by a server start: a keyring file, a sealed pepper and audit signing key. */
async function initializedDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-cli-kms-"));
  dirs.push(dataDir);
  const config = parseConfig({ KEYWARD_DATA_DIR: dataDir }, { logLevel: "silent" });
  const instance = await openInstance({ config });
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
