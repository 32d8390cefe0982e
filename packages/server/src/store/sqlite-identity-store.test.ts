import { describeIdentityStoreConformance } from "./identity-store.conformance.js";
import { openSqliteStores } from "./sqlite-stores.js";

describeIdentityStoreConformance("SQLite in memory", async () => openSqliteStores({ path: ":memory:" }));
