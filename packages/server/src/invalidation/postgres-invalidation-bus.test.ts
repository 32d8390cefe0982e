import { describe } from "vitest";
import {
  newTestSchema,
  postgresAvailable,
  runOnPostgres,
  TEST_DATABASE_URL,
} from "../../test/support/services.js";
import { describeInvalidationBusConformance } from "./invalidation-bus.conformance.js";
import type { InvalidationBus } from "./invalidation-bus.js";
import { PostgresInvalidationBus } from "./postgres-invalidation-bus.js";

const available = await postgresAvailable();

describe.skipIf(!available)("PostgresInvalidationBus", () => {
  describeInvalidationBusConformance("PostgreSQL LISTEN/NOTIFY", async () => {
    // A schema name of its own gives each test a channel of its own; nothing is created in it.
    const schema = newTestSchema();
    return {
      async open(): Promise<InvalidationBus> {
        return new PostgresInvalidationBus({ connectionString: TEST_DATABASE_URL, schema });
      },
      async cut(bus: InvalidationBus): Promise<void> {
        const pid = (bus as PostgresInvalidationBus).listenerProcessId;
        if (pid === null) throw new Error("The bus is not listening.");
        await runOnPostgres("SELECT pg_terminate_backend($1)", [pid]);
      },
    };
  });
});
