import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { readAll } from "../../../test/support/cli-server.js";
import {
  dropTestSchema,
  newTestSchema,
  postgresAvailable,
  TEST_DATABASE_URL,
} from "../../../test/support/services.js";
import { type PopulatedInstallation, populateSqliteInstallation } from "../../store/store-copy-fixtures.js";
import { COPY_TABLES } from "../../store/store-copy-tables.js";
import { runCli } from "../main.js";

/** Trust authentication ignores it; the test only checks that it is never printed. */
const PASSWORD = "s3cret-Pw";

const postgres = await postgresAvailable();

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyward-cli-store-copy-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh schema's URL with a password added (and the schema dropped after the file's tests). */
function postgresUrl(): { url: string; masked: string; schema: string } {
  const schema = newTestSchema();
  cleanups.push(async () => {
    await dropTestSchema(schema);
  });
  const url = new URL(TEST_DATABASE_URL);
  url.password = PASSWORD;
  url.searchParams.set("schema", schema);
  const masked = new URL(url.href);
  masked.password = "***";
  return { url: url.href, masked: masked.href, schema };
}

async function storeCopy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(["store", "copy", ...args], {
    env: {},
    stdout,
    stderr,
    stdin: Readable.from([]),
  });
  return { code, stdout: await readAll(stdout), stderr: await readAll(stderr) };
}

let installation: PopulatedInstallation | undefined;
async function populated(): Promise<PopulatedInstallation> {
  installation ??= await populateSqliteInstallation(tempDir());
  return installation;
}

describe("keyward store copy", () => {
  it("copies a SQLite data directory into a new SQLite file and prints the verified report as JSON", async () => {
    const { dataDir } = await populated();
    const target = join(tempDir(), "nested", "copy.db");
    const run = await storeCopy(["--from", `sqlite:${dataDir}`, "--to", `sqlite:${target}`, "--json"]);

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      from: `sqlite:${join(dataDir, "keyward.db")}`,
      to: `sqlite:${target}`,
      ok: true,
    });
    expect(report.tables.map((t: { name: string }) => t.name)).toEqual(COPY_TABLES.map((t) => t.name));
    expect(report.tables.every((t: { verified: boolean }) => t.verified)).toBe(true);
    // Not a terminal: plain progress lines, one per finished table and phase.
    expect(run.stderr).toContain("copy keys: ");
    expect(run.stderr).toMatch(/^verify ratelimit_overrides: 3\/3 done$/m);
  });

  it("refuses a target that is not empty (exit 1), a missing source and the same store twice", async () => {
    const { dataDir } = await populated();
    const notEmpty = await storeCopy(["--from", `sqlite:${dataDir}`, "--to", `sqlite:${dataDir}/keyward.db`]);
    expect(notEmpty).toMatchObject({ code: 2, stdout: "" });
    expect(notEmpty.stderr).toMatch(/^error: USAGE_ERROR: --from and --to name the same store/m);

    const target = join(tempDir(), "copy.db");
    expect((await storeCopy(["--from", `sqlite:${dataDir}`, "--to", `sqlite:${target}`])).code).toBe(0);
    const again = await storeCopy(["--from", `sqlite:${dataDir}`, "--to", `sqlite:${target}`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: CONFLICT: The target store is not empty/m);

    const missing = await storeCopy([
      "--from",
      `sqlite:${join(tempDir(), "none.db")}`,
      "--to",
      `sqlite:${target}`,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: NOT_FOUND: The source SQLite file .*none\.db does not exist\.$/m);
  });

  it("never prints a password: not for a bad URL, nor for a server that cannot be reached", async () => {
    const { dataDir } = await populated();
    const bad = await storeCopy([
      "--from",
      `sqlite:${dataDir}`,
      "--to",
      `mysql://root:${PASSWORD}@db/keyward`,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: USAGE_ERROR: --to must be sqlite:PATH or a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expect(bad.stderr).not.toContain(PASSWORD);

    const unreachable = await storeCopy([
      "--from",
      `sqlite:${dataDir}`,
      "--to",
      `postgres://kw:${encodeURIComponent(`${PASSWORD}/?`)}@127.0.0.1:1/keyward?schema=kw`,
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(
      "error: STORE_UNAVAILABLE: The target store postgres://kw:***@127.0.0.1:1/keyward?schema=kw cannot be reached",
    );
    expect(unreachable.stderr).toContain("warning: the --to URL holds a password");
    expect(unreachable.stderr + unreachable.stdout).not.toContain(PASSWORD);
  });

  it.skipIf(!postgres)(
    "copies SQLite to PostgreSQL and back, masking the password in the report and the progress",
    async () => {
      const { dataDir } = await populated();
      const { url, masked } = postgresUrl();
      const there = await storeCopy(["--from", `sqlite:${dataDir}`, "--to", url, "--json"]);
      expect(there.stderr).not.toMatch(/error:/);
      expect(there.code).toBe(0);
      const report = JSON.parse(there.stdout);
      expect(report).toMatchObject({ to: masked, ok: true });
      expect(masked).toContain(":***@");
      expect(there.stderr).toContain(`Copying sqlite:${join(dataDir, "keyward.db")} to ${masked}.`);
      expect(there.stdout + there.stderr).not.toContain(PASSWORD);

      const back = join(tempDir(), "back.db");
      const home = await storeCopy(["--from", url, "--to", `sqlite:${back}`, "--batch-size", "2"]);
      expect(home.code).toBe(0);
      expect(home.stdout).toMatch(/^TABLE\s+ROWS\s+TARGET ROWS\s+SHA-256\s+VERIFIED$/m);
      expect(home.stdout).toMatch(/^keys\s+6\s+6\s+[0-9a-f]{16}…\s+yes$/m);
      expect(home.stdout).toContain(`to sqlite:${back}; counts and digests match.`);
      expect(home.stdout + home.stderr).not.toContain(PASSWORD);
      // The digests of the round trip are the source's.
      const final = JSON.parse(
        (
          await storeCopy([
            "--from",
            `sqlite:${back}`,
            "--to",
            `sqlite:${join(tempDir(), "third.db")}`,
            "--json",
          ])
        ).stdout,
      );
      expect(final.tables).toEqual(report.tables);

      const refused = await storeCopy(["--from", `sqlite:${dataDir}`, "--to", url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: CONFLICT: The target store is not empty/m);
      expect(refused.stderr).not.toContain(PASSWORD);
    },
  );
});
