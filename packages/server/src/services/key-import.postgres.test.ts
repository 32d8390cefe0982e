import { createHash } from "node:crypto";
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

/** A node whose `heardKeys()` resolves when it next receives another node's key announcement. */
async function openNode(config: Config): Promise<{ instance: Instance; heardKeys(): Promise<void> }> {
  const node = await openListeningNode(config, cleanups);
  return { instance: node.instance, heardKeys: () => node.heard("key") };
}

describe.skipIf(!postgres)("importKeys() across nodes on PostgreSQL", () => {
  it("a key imported on one node verifies on another as soon as it hears the announcement, and after its re-digest on both", async () => {
    // An hour of pepper refresh too: only the announcement can tell the other node.
    const config = sharedPostgresConfig(cleanups, { pepperRefreshIntervalMs: 3_600_000 });
    const a = await openNode(config);
    const b = await openNode(config);
    const plaintext = "acme_9Xk2Lm4Nq7Rt1Vw3Yz5Bc8Df0Gh6Jp";
    // Before any import, a plaintext in another format is not even looked up.
    expect(await b.instance.keys.verifyKey(root, { key: plaintext })).toMatchObject({ code: "NOT_FOUND" });

    const project = await a.instance.projects.createProject(root, { name: "imported", keyPrefix: "acme" });
    const heard = b.heardKeys();
    const result = await a.instance.keys.importKeys(root, {
      projectId: project.id,
      migrationId: "acme_unkey",
      keys: [{ hash: createHash("sha256").update(plaintext).digest("hex"), scopes: ["orders:read"] }],
    });
    expect(result.failed).toEqual([]);
    await heard;
    expect(await b.instance.keys.verifyKey(root, { key: plaintext, scopes: ["orders:read"] })).toMatchObject({
      valid: true,
      key: { id: result.migrated[0]?.keyId },
    });

    await b.instance.keys.lookup.redigests.flush();
    for (const node of [a, b]) {
      await node.instance.keys.refreshImports();
      node.instance.keys.forgetAllCached();
      expect(await node.instance.keys.verifyKey(root, { key: plaintext })).toMatchObject({ valid: true });
    }
  });
});
