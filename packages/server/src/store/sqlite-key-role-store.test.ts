import { describeKeyRoleStoreConformance } from "./key-role-store.conformance.js";
import { openSqliteStores } from "./sqlite-stores.js";

describeKeyRoleStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
