import { describe, expect, it } from "vitest";
import { newTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../../test/support/services.js";
import { PostgresDatabase } from "./postgres-database.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import { SqliteDatabase } from "./sqlite-database.js";
import { COPY_TABLES, type CopyColumnType, MIGRATIONS_TABLE, toCanonical } from "./store-copy-tables.js";

const postgresUp = await postgresAvailable();

/** The catalogue as `table -> column -> type`, to compare with what a migrated database declares. */
function catalogue(): Record<string, Record<string, CopyColumnType>> {
  return Object.fromEntries(
    COPY_TABLES.map((t) => [t.name, Object.fromEntries(t.columns.map((c) => [c.name, c.type]))]),
  );
}

const SQLITE_TYPES: Record<string, CopyColumnType[]> = {
  TEXT: ["text"],
  INTEGER: ["integer", "boolean"],
  BLOB: ["bytes"],
};
const POSTGRES_TYPES: Record<string, CopyColumnType[]> = {
  text: ["text"],
  bigint: ["integer"],
  integer: ["integer"],
  boolean: ["boolean"],
  bytea: ["bytes"],
};

describe("COPY_TABLES", () => {
  it("lists every table and column of the SQLite schema, with matching types, parents before children", () => {
    const database = new SqliteDatabase({ path: ":memory:" });
    try {
      database.migrate(0);
      const columns = database.db
        .prepare(
          `SELECT m.name AS table_name, p.name AS column_name, p.type AS type
             FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS p
            WHERE m.type = 'table' AND m.name <> ?`,
        )
        .all(MIGRATIONS_TABLE) as { table_name: string; column_name: string; type: string }[];
      const declared: Record<string, Record<string, CopyColumnType>> = {};
      for (const c of columns) {
        const expected = catalogue()[c.table_name]?.[c.column_name];
        const type = expected !== undefined && SQLITE_TYPES[c.type]?.includes(expected) ? expected : c.type;
        declared[c.table_name] = { ...declared[c.table_name], [c.column_name]: type as CopyColumnType };
      }
      expect(declared).toEqual(catalogue());

      const order = COPY_TABLES.map((t) => t.name);
      for (const [index, table] of order.entries()) {
        const parents = database.db
          .prepare('SELECT DISTINCT "table" AS parent FROM pragma_foreign_key_list(?)')
          .all(table) as {
          parent: string;
        }[];
        for (const { parent } of parents)
          expect(order.indexOf(parent), `${table} -> ${parent}`).toBeLessThan(index);
      }
    } finally {
      database.close();
    }
  });

  it("every primary key column is a column of its table, and matches the SQLite primary key", () => {
    const database = new SqliteDatabase({ path: ":memory:" });
    try {
      database.migrate(0);
      for (const table of COPY_TABLES) {
        const key = (
          database.db
            .prepare("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk")
            .all(table.name) as {
            name: string;
          }[]
        ).map((r) => r.name);
        expect(table.primaryKey, table.name).toEqual(key);
      }
    } finally {
      database.close();
    }
  });

  it.skipIf(!postgresUp)(
    "lists every table and column of the PostgreSQL schema, with matching types",
    async () => {
      const schema = newTestSchema();
      const database = new PostgresDatabase({ connectionString: TEST_DATABASE_URL, schema });
      try {
        await database.migrate(POSTGRES_MIGRATIONS, 0);
        const { rows } = await database.query<{ table_name: string; column_name: string; data_type: string }>(
          "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name <> $2",
          [schema, MIGRATIONS_TABLE],
        );
        const declared: Record<string, Record<string, string>> = {};
        for (const c of rows) {
          const expected = catalogue()[c.table_name]?.[c.column_name];
          const type =
            expected !== undefined && POSTGRES_TYPES[c.data_type]?.includes(expected)
              ? expected
              : c.data_type;
          declared[c.table_name] = { ...declared[c.table_name], [c.column_name]: type };
        }
        expect(declared).toEqual(catalogue());
      } finally {
        await database.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await database.close();
      }
    },
  );
});

describe("toCanonical()", () => {
  const table = COPY_TABLES[0];
  if (table === undefined) throw new Error("no tables");

  it("reads both dialects' forms of a value as one canonical value", () => {
    expect(toCanonical(table, { name: "n", type: "integer" }, 9_007_199_254_740_993n)).toBe(
      9_007_199_254_740_993n,
    );
    expect(toCanonical(table, { name: "n", type: "integer" }, "9007199254740993")).toBe(
      9_007_199_254_740_993n,
    );
    expect(toCanonical(table, { name: "n", type: "integer" }, 42)).toBe(42n);
    expect(toCanonical(table, { name: "b", type: "boolean" }, 1n)).toBe(true);
    expect(toCanonical(table, { name: "b", type: "boolean" }, false)).toBe(false);
    expect(toCanonical(table, { name: "d", type: "bytes" }, new Uint8Array([1, 2]))).toEqual(
      Buffer.from([1, 2]),
    );
    expect(toCanonical(table, { name: "t", type: "text" }, null)).toBeNull();
  });

  it("refuses a value its column cannot hold, naming the column and not the value", () => {
    expect(() => toCanonical(table, { name: "enabled", type: "boolean" }, 2n)).toThrow(
      /instance_settings\.enabled holds a value that is not of its type \(boolean\)/,
    );
    expect(() => toCanonical(table, { name: "n", type: "integer" }, 1.5)).toThrow(/not of its type/);
    expect(() => toCanonical(table, { name: "t", type: "text" }, Buffer.from("secret"))).toThrow(
      /^((?!secret).)*$/,
    );
  });
});
