import { KeywardError } from "@keyward/core/keyward-error.js";
import { describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import {
  newTestSchema,
  postgresAvailable,
  runOnPostgres,
  TEST_DATABASE_URL,
} from "../../test/support/services.js";
import { PostgresDatabase, translatePostgresError } from "./postgres-database.js";

const postgres = await postgresAvailable();

/** An error shaped like pg's: a message and a SQLSTATE or Node.js code. */
function driverError(code: string, message = "driver said no"): Error {
  return Object.assign(new Error(message), { code });
}

describe("translatePostgresError()", () => {
  it.each([
    ["23505", "unique violation"],
    ["23503", "foreign key violation"],
  ])("turns %s (%s) into CONFLICT", (code) => {
    const translated = translatePostgresError(driverError(code));
    expect(translated).toBeInstanceOf(KeywardError);
    expect((translated as KeywardError).code).toBe("CONFLICT");
  });

  it.each([
    ["08006", "connection failure"],
    ["08001", "cannot connect now"],
    ["28000", "role not permitted to log in"],
    ["28P01", "password authentication failed"],
    ["53300", "too many connections"],
    ["57P01", "backend terminated by an administrator"],
    ["57P03", "the database system is starting up"],
    ["57014", "statement timeout"],
    ["58030", "I/O error"],
    ["25006", "read-only transaction on a demoted primary"],
    ["3D000", "database does not exist"],
    ["40001", "serialization failure"],
    ["40P01", "deadlock"],
    ["ECONNREFUSED", "nothing listens"],
    ["ECONNRESET", "connection reset"],
  ])("turns %s (%s) into STORE_UNAVAILABLE, retryable, keeping the driver error as the cause", (code) => {
    const original = driverError(code, "password=hunter2 in a message must not leak");
    const translated = translatePostgresError(original) as KeywardError;
    expect(translated.code).toBe("STORE_UNAVAILABLE");
    expect(translated.retryable).toBe(true);
    expect(translated.message).not.toContain("hunter2");
    expect(translated.cause).toBe(original);
  });

  it.each([
    "Connection terminated unexpectedly",
    "timeout exceeded when trying to connect",
    "Cannot use a pool after calling end on the pool",
  ])("turns pg's own %j into STORE_UNAVAILABLE", (message) => {
    expect((translatePostgresError(new Error(message)) as KeywardError).code).toBe("STORE_UNAVAILABLE");
  });

  it.each([
    ["42P01", "undefined table: a bug or a missing migration, not an outage"],
    ["22P02", "invalid input syntax"],
    ["XX000", "internal error"],
  ])("passes %s (%s) on unchanged", (code) => {
    const original = driverError(code);
    expect(translatePostgresError(original)).toBe(original);
  });

  it("passes a KeywardError through", () => {
    const error = new KeywardError("NOT_FOUND");
    expect(translatePostgresError(error)).toBe(error);
  });
});

describe.skipIf(!postgres)("PostgresDatabase on a server that ends its connections", () => {
  it("a connection ended inside a transaction fails it with STORE_UNAVAILABLE instead of crashing the process", async () => {
    const database = new PostgresDatabase({ connectionString: TEST_DATABASE_URL, schema: newTestSchema() });
    try {
      const work = database.transaction(async (tx) => {
        const [row] = (await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
        // The server ends this connection while the transaction holds it between two statements.
        await runOnPostgres("SELECT pg_terminate_backend($1)", [row?.pid]);
        await runOnPostgres("SELECT pg_sleep(0.05)");
        await tx.query("SELECT 1");
      });
      await expectKeywardError(work, "STORE_UNAVAILABLE");
      // The pool dropped the broken connection and opens a new one.
      expect((await database.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await database.close();
    }
  });

  it("pooled connections ended while idle are replaced without an error reaching anyone", async () => {
    const schema = newTestSchema();
    const database = new PostgresDatabase({ connectionString: TEST_DATABASE_URL, schema });
    try {
      await Promise.all([database.query("SELECT 1"), database.query("SELECT 1")]);
      await runOnPostgres(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [`keyward:${schema}`],
      );
      await runOnPostgres("SELECT pg_sleep(0.05)");
      // The first query may meet a connection the pool has not noticed is gone; it fails as unavailable, retryable.
      let answered = false;
      for (let attempt = 0; attempt < 3 && !answered; attempt++) {
        try {
          await database.query("SELECT 1");
          answered = true;
        } catch (error) {
          expect((error as { code?: string }).code).toBe("STORE_UNAVAILABLE");
        }
      }
      expect(answered).toBe(true);
    } finally {
      await database.close();
    }
  });
});
