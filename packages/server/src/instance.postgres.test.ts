import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { isServiceAvailable } from "../test/support/require-service.js";
import { parseConfig } from "./config.js";
import { openInstance } from "./instance.js";
import type { Principal } from "./services/principal.js";

const DATABASE_URL = process.env.KEYWARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };

const postgres = await isServiceAvailable({
  name: `PostgreSQL at ${DATABASE_URL}`,
  probe: async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.end();
  },
});

const schemas: string[] = [];
afterEach(async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe.skipIf(!postgres)("openInstance() on PostgreSQL (KEYWARD_DATABASE_URL)", () => {
  it("initializes once, issues and verifies keys, and keeps them across restarts of every node", async () => {
    const schema = `kw_test_${randomBytes(6).toString("hex")}`;
    schemas.push(schema);
    const config = parseConfig(
      { KEYWARD_DATABASE_URL: DATABASE_URL, KEYWARD_DATABASE_SCHEMA: schema },
      { masterKey: randomBytes(32), logLevel: "silent" },
    );
    // Two nodes starting at once: one initializes (and prints the root token), the other unseals its pepper.
    const [a, b] = await Promise.all([openInstance({ config }), openInstance({ config })]);
    try {
      expect([a.rootToken, b.rootToken].filter((t) => t !== null)).toHaveLength(1);
      const created = await a.keys.createKey(root, { name: "shared", scopes: ["orders:read"] });
      expect(await b.keys.verifyKey(root, { key: created.key, scopes: ["orders:read"] })).toMatchObject({
        valid: true,
        code: "VALID",
      });
    } finally {
      await a.close();
      await b.close();
    }
    const again = await openInstance({ config });
    try {
      expect(again.rootToken).toBeNull();
      const page = await again.keys.listKeys(root, {});
      expect(page.items.map((k) => k.name)).toEqual(["shared"]);
    } finally {
      await again.close();
    }
  });
});
