import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { isServiceAvailable } from "../../../test/support/require-service.js";
import { POSTGRES_MIGRATIONS } from "../../store/postgres-migrations.js";
import { SQLITE_MIGRATIONS } from "../../store/sqlite-migrations.js";
import { runCli } from "../main.js";

const DATABASE_URL = process.env.KEYWARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function readAll(stream: PassThrough): Promise<string> {
  stream.end();
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

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

const postgres = await isServiceAvailable({
  name: `PostgreSQL at ${DATABASE_URL}`,
  probe: async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.end();
  },
});

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
      const schema = `kw_test_${randomBytes(6).toString("hex")}`;
      cleanups.push(async () => {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      });
      const env = { KEYWARD_DATABASE_URL: DATABASE_URL, KEYWARD_DATABASE_SCHEMA: schema };
      const [a, b] = await Promise.all([migrate(env), migrate(env)]);
      const applied = [JSON.parse(a.stdout).applied, JSON.parse(b.stdout).applied];
      // The advisory lock makes one run apply everything and the other find the schema current.
      expect(applied).toContainEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(applied).toContainEqual([]);
    },
  );
});
