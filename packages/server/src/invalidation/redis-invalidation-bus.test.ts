import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { describe } from "vitest";
import { redisAvailable, TEST_REDIS_URL } from "../../test/support/services.js";
import { describeInvalidationBusConformance } from "./invalidation-bus.conformance.js";
import type { InvalidationBus } from "./invalidation-bus.js";
import { RedisInvalidationBus } from "./redis-invalidation-bus.js";

const available = await redisAvailable();

/** Kills the connection named `name`, as a Redis restart or failover would. */
async function killConnection(name: string): Promise<void> {
  const admin = new Redis(TEST_REDIS_URL);
  try {
    const clients = String(await admin.client("LIST")).split("\n");
    const line = clients.find((entry) => entry.includes(` name=${name} `));
    const id = line === undefined ? undefined : /\bid=(\d+)/.exec(line)?.[1];
    if (id === undefined) throw new Error(`No Redis connection is named ${name}.`);
    await admin.client("KILL", "ID", id);
  } finally {
    admin.disconnect();
  }
}

describe.skipIf(!available)("RedisInvalidationBus", () => {
  describeInvalidationBusConformance("Redis pub/sub", async () => {
    // A prefix of its own gives each test a channel of its own.
    const prefix = `keyward-test:${randomUUID()}:`;
    return {
      async open(): Promise<InvalidationBus> {
        return new RedisInvalidationBus({ url: TEST_REDIS_URL, prefix });
      },
      async cut(bus: InvalidationBus): Promise<void> {
        await killConnection((bus as RedisInvalidationBus).listenerConnectionName);
      },
    };
  });
});
