import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../../test/support/api-helpers.js";
import { createTestApp, type TestApp } from "../../test/support/test-app.js";
import type { Principal } from "./principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const PLAINTEXT = "acme_9Qw2Er4Ty6Ui8Op1As3Df5Gh7Jk0Lz";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("the imported-key fallback and expiry", () => {
  it("stops looking for an imported key once it expired unverified, and looks again when its expiry is extended", async () => {
    const keys = t.instance.keys;
    const projectId = await createProject(t, { name: "imported", keyPrefix: "acme" });
    const { migrated } = await keys.importKeys(root, {
      projectId,
      migrationId: "expiry_test",
      keys: [
        {
          hash: createHash("sha256").update(PLAINTEXT).digest("hex"),
          expiresAt: t.clock.now() + 1_000,
        },
      ],
    });
    const keyId = migrated[0]?.keyId as string;
    await keys.refreshImports();
    expect((await keys.verifyKey(root, { key: "acme_other" })).code).toBe("NOT_FOUND");

    t.clock.advance(1_000);
    await keys.refreshImports();
    // No key can still verify by its SHA-256: the fallback lookup is off.
    expect((await keys.verifyKey(root, { key: PLAINTEXT })).code).toBe("NOT_FOUND");

    await keys.updateKey(root, keyId, { expiresAt: t.clock.now() + 60_000 });
    expect(await keys.verifyKey(root, { key: PLAINTEXT })).toMatchObject({ valid: true, code: "VALID" });
  });
});
