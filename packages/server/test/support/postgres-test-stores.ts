import { openPostgresStores } from "../../src/store/postgres-stores.js";
import type { Stores } from "../../src/store/stores.js";
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from "./services.js";

/** Pools open per test schema: the schema is dropped when the last of them closes. */
const openPools = new Map<string, number>();

/**
 * Fresh, unmigrated PostgreSQL stores in a test schema (a new one unless named). Opening again with the same
 * schema opens another pool on it, as another node would; the schema is dropped once its last pool is closed.
 */
export function openTestPostgresStores(schema = newTestSchema()): Stores {
  const stores = openPostgresStores({ connectionString: TEST_DATABASE_URL, schema });
  openPools.set(schema, (openPools.get(schema) ?? 0) + 1);
  const close = stores.keys.close.bind(stores.keys);
  let closed = false;
  stores.keys.close = async () => {
    if (closed) return;
    closed = true;
    await close();
    const left = (openPools.get(schema) ?? 1) - 1;
    if (left > 0) {
      openPools.set(schema, left);
      return;
    }
    openPools.delete(schema);
    await dropTestSchema(schema);
  };
  return stores;
}
