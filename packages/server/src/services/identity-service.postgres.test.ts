import { afterEach, describe, expect, it } from "vitest";
import { openListeningNode, sharedPostgresConfig } from "../../test/support/listening-node.js";
import { postgresAvailable } from "../../test/support/services.js";
import type { Config } from "../config.js";
import type { Instance } from "../instance.js";
import type { Principal } from "./principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const postgres = await postgresAvailable();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node of `config`, and a promise of the next identity invalidation it hears from another node. */
async function openNode(config: Config): Promise<{ instance: Instance; heard(): Promise<void> }> {
  const node = await openListeningNode(config, cleanups);
  return { instance: node.instance, heard: () => node.heard("identity") };
}

describe.skipIf(!postgres)("identities on two nodes (PostgreSQL LISTEN/NOTIFY)", () => {
  it("an identity created, changed or deleted on one node applies to verifyKey() on the other at once", async () => {
    const config = sharedPostgresConfig(cleanups);
    const a = await openNode(config);
    const b = await openNode(config);
    const { key } = await a.instance.keys.createKey(root, { ownerId: "acme" });
    // B caches that acme has no identity.
    expect((await b.instance.keys.verifyKey(root, { key })).identity).toBeUndefined();

    let heard = b.heard();
    await a.instance.identities.createIdentity(root, {
      externalId: "acme",
      meta: { plan: "enterprise" },
      rateLimits: [{ name: "requests", limit: 1, windowMs: 60_000 }],
    });
    await heard;
    const first = await b.instance.keys.verifyKey(root, { key });
    expect(first).toMatchObject({
      code: "VALID",
      identity: { externalId: "acme", meta: { plan: "enterprise" } },
    });
    expect((await b.instance.keys.verifyKey(root, { key })).code).toBe("RATE_LIMITED");

    heard = b.heard();
    await a.instance.identities.updateIdentity(root, "acme", { meta: { plan: "pro" }, rateLimits: [] });
    await heard;
    expect(await b.instance.keys.verifyKey(root, { key })).toMatchObject({
      code: "VALID",
      identity: { meta: { plan: "pro" }, rateLimits: [] },
    });

    heard = b.heard();
    await a.instance.identities.deleteIdentity(root, "acme");
    await heard;
    expect((await b.instance.keys.verifyKey(root, { key })).identity).toBeUndefined();
  });
});
