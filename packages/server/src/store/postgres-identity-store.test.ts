import { describe } from "vitest";
import { openTestPostgresStores } from "../../test/support/postgres-test-stores.js";
import { postgresAvailable } from "../../test/support/services.js";
import { describeIdentityStoreConformance } from "./identity-store.conformance.js";

// Skips loudly when PostgreSQL is not reachable, and fails under CI=true.
const postgres = await postgresAvailable();

(postgres ? describe : describe.skip)("PostgreSQL identities", () => {
  describeIdentityStoreConformance("PostgreSQL", async () => openTestPostgresStores());
});
