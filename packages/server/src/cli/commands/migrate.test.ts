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
import { POSTGRES_MIGRATIONS } from "../../store/postgres-migrations.js";
import { SQLITE_MIGRATIONS } from "../../store/sqlite-migrations.js";
import { runCli } from "../main.js";

async function migrate(env: Record<string, string>, json = true): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(["migrate", ...(json ? ["--json"] : [])], {
    env,
    stdout,
    stderr,
    stdin: Readable.from([]),
  });
  const err = await readAll(stderr);
  if (code !== 0) throw new Error(`keyward migrate exited ${code}: ${err}`);
  return { code, stdout: await readAll(stdout) };
}

const postgres = await postgresAvailable();

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("keyward migrate", () => {
  it("applies every SQLite migration once, then reports the schema current", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keyward-migrate-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { KEYWARD_DATA_DIR: dataDir };
    const latest = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
    expect(JSON.parse((await migrate(env)).stdout)).toEqual({
      applied: SQLITE_MIGRATIONS.map((m) => m.version),
      version: latest,
    });
    expect(JSON.parse((await migrate(env)).stdout)).toEqual({ applied: [], version: latest });
    expect((await migrate(env, false)).stdout).toContain(`schema is current (version ${latest})`);
  });

  it.skipIf(!postgres)(
    "migrates PostgreSQL (KEYWARD_DATABASE_URL, KEYWARD_DATABASE_SCHEMA) once, even when two run at once",
    async () => {
      const schema = newTestSchema();
      cleanups.push(() => dropTestSchema(schema));
      const env = { KEYWARD_DATABASE_URL: TEST_DATABASE_URL, KEYWARD_DATABASE_SCHEMA: schema };
      const [a, b] = await Promise.all([migrate(env), migrate(env)]);
      const applied = [JSON.parse(a.stdout).applied, JSON.parse(b.stdout).applied];
      // The advisory lock makes one run apply everything and the other find the schema current.
      expect(applied).toContainEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(applied).toContainEqual([]);
    },
  );
});
