import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { isServiceAvailable } from "./require-service.js";

/** The PostgreSQL server the tests use; each test works in a schema of its own (see {@link newTestSchema}). */
export const TEST_DATABASE_URL =
  process.env.KEYWARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The Redis server the tests use; each test works under a key prefix of its own. */
export const TEST_REDIS_URL = process.env.KEYWARD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Runs SQL on a short-lived connection of its own, outside any store's pool: setting up, inspecting, tampering,
 * cutting connections. Several statements in one string give the rows of the last.
 */
export async function runOnPostgres<Row = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    const result = await client.query(sql, params);
    const results = Array.isArray(result) ? result : [result];
    return (results.at(-1)?.rows ?? []) as Row[];
  } finally {
    await client.end();
  }
}

/** Whether the test PostgreSQL answers: skips loudly when it does not, fails under CI=true. */
export function postgresAvailable(): Promise<boolean> {
  return isServiceAvailable({
    // The host only: a URL in CI may carry a password.
    name: `PostgreSQL at ${new URL(TEST_DATABASE_URL).host} (KEYWARD_TEST_DATABASE_URL)`,
    probe: async () => {
      await runOnPostgres("SELECT 1");
    },
  });
}

/** Whether the test Redis answers: skips loudly when it does not, fails under CI=true. */
export function redisAvailable(): Promise<boolean> {
  return isServiceAvailable({
    name: `Redis at ${new URL(TEST_REDIS_URL).host} (KEYWARD_TEST_REDIS_URL)`,
    probe: async () => {
      const probe = new Redis(TEST_REDIS_URL, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      let cause: unknown;
      probe.on("error", (error) => {
        cause = error;
      });
      try {
        await probe.connect();
        await probe.ping();
      } catch (error) {
        throw cause ?? error;
      } finally {
        probe.disconnect();
      }
    },
  });
}

/** A schema name no other test uses; Keyward's migrations create it. Drop it with {@link dropTestSchema}. */
export function newTestSchema(): string {
  return `kw_test_${randomBytes(8).toString("hex")}`;
}

export async function dropTestSchema(schema: string): Promise<void> {
  await runOnPostgres(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
