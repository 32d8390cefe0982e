import { afterEach, describe, expect, it } from "vitest";
import { openListeningNode, sharedPostgresConfig } from "../test/support/listening-node.js";
import { postgresAvailable } from "../test/support/services.js";
import type { Principal } from "./services/principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const postgres = await postgresAvailable();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!postgres)("key roles on several nodes (PostgreSQL LISTEN/NOTIFY)", () => {
  it("a role change or deletion on one node changes verifyKey() on the other at once", async () => {
    const config = sharedPostgresConfig(cleanups);
    const a = await openListeningNode(config, cleanups);
    const b = await openListeningNode(config, cleanups);

    let heard = b.heard("role");
    const role = await a.instance.keyRoles.createRole(root, { name: "editor", permissions: ["docs.read"] });
    await heard;
    const { key } = await b.instance.keys.createKey(root, { roles: ["editor"] });
    const check = (scopes: string[]) => b.instance.keys.verifyKey(root, { key, scopes });
    expect(await check(["docs.read"])).toMatchObject({ code: "VALID", roles: ["editor"] });
    expect(await check(["docs.write"])).toMatchObject({ code: "INSUFFICIENT_SCOPE" });

    // The key stays in b's verify cache (TTL an hour): only the role catalogue changes.
    heard = b.heard("role");
    await a.instance.keyRoles.setRolePermissions(root, role.id, ["docs.read", "docs.write"]);
    await heard;
    expect(await check(["docs.write"])).toMatchObject({ code: "VALID" });

    heard = b.heard("role");
    await a.instance.keyRoles.deleteRole(root, "editor");
    await heard;
    expect(await check(["docs.read"])).toMatchObject({
      code: "INSUFFICIENT_SCOPE",
      missingScopes: ["docs.read"],
    });
    expect((await b.instance.keys.verifyKey(root, { key })).roles).toBeUndefined();
  });
});
