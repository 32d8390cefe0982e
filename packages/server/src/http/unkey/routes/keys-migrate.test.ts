import { createHash } from "node:crypto";
import { digestKey } from "@keyward/core/digest-key.js";
import { BadRequestErrorResponse, ForbiddenErrorResponse } from "@unkey/api/models/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, mintToken } from "../../../../test/support/api-helpers.js";
import { rejection, startUnkeyTarget, type UnkeyTarget } from "../../../../test/support/unkey-target.js";
import { PepperRotation } from "../../../kms/pepper-rotation.js";
import type { Principal } from "../../../services/principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const DAY_MS = 86_400_000;

/** Unkey-style plaintexts (not Keyward's format), and their SHA-256 in the encodings Unkey exports use. */
const PLAINTEXTS = [
  "acme_3ZkQ9m2vXc8LpR4tYw7NbH1sJd6FgK0e",
  "acme_7Hn2Qw9ErT4yUi6OpAs1DfG3hJk5LzXc",
  "acme_1Mn8Bv4Cx6Zl2Kj9Hg7Fd5Sa3Qw0ErTy",
];
const sha256 = (text: string) => createHash("sha256").update(text).digest();
const HEX = sha256(PLAINTEXTS[0] as string).toString("hex");
const BASE64 = sha256(PLAINTEXTS[1] as string).toString("base64");
const BASE64URL = sha256(PLAINTEXTS[2] as string).toString("base64url");

let target: UnkeyTarget;
let apiId: string;
beforeAll(async () => {
  target = await startUnkeyTarget();
  apiId = await createProject(target.t, { name: "imported", keyPrefix: "acme" });
});
afterAll(async () => {
  await target.close();
});

const verify = (key: string, extra: Record<string, unknown> = {}) =>
  target.unkey.keys.verifyKey({ key, ...extra });

/** The stored digest row of a plaintext under the current pepper, and whether its SHA-256 is still stored. */
async function storedForms(plaintext: string) {
  const { instance } = target.t;
  const { current } = instance.peppers.schedule();
  const peppered = await instance.store.findKeyByDigest(digestKey(plaintext, current.pepper));
  const bare = await instance.store.findKeyByDigest(sha256(plaintext));
  return { peppered, bare, currentVersion: current.version };
}

describe("POST /v2/keys.migrateKeys and verifyKey of the imported keys", () => {
  it("imports keys by hex, base64 and base64url SHA-256, fails duplicates and non-digests, and the original plaintexts verify, then move to the pepper", async () => {
    const expires = target.t.clock.now() + DAY_MS;
    const { data } = await target.unkey.keys.migrateKeys({
      migrationId: "acme_unkey",
      apiId,
      keys: [
        {
          hash: HEX,
          name: "first",
          externalId: "user_1",
          meta: { plan: "pro" },
          permissions: ["documents.read"],
          credits: { remaining: 10, refill: { interval: "daily", amount: 10 } },
          expires,
        },
        { hash: BASE64, enabled: true, ratelimits: [{ name: "requests", limit: 5, duration: 60_000 }] },
        { hash: BASE64URL, enabled: false },
        // The first key again, in another encoding: a duplicate.
        { hash: sha256(PLAINTEXTS[0] as string).toString("base64") },
        { hash: "not-a-sha256" },
      ],
    });
    expect(data.migrated.map((m) => m.hash)).toEqual([HEX, BASE64, BASE64URL]);
    expect(data.failed).toEqual(["not-a-sha256", sha256(PLAINTEXTS[0] as string).toString("base64")]);
    const [first, second, third] = data.migrated.map((m) => m.keyId);
    expect(await target.t.instance.keys.getKey(root, first as string)).toMatchObject({
      projectId: apiId,
      start: "",
      name: "first",
      ownerId: "user_1",
      scopes: ["documents.read"],
      expiresAt: expires,
      quota: { remaining: 10, refill: { amount: 10, interval: "day" } },
    });
    // Imported again: every hash is some key's already.
    const again = await target.unkey.keys.migrateKeys({
      migrationId: "acme_unkey",
      apiId,
      keys: [{ hash: BASE64 }],
    });
    expect(again.data).toEqual({ migrated: [], failed: [BASE64] });

    const status = new PepperRotation({ store: target.t.instance.stores.peppers, clock: target.t.clock });
    expect((await status.status()).imported).toEqual({ keys: 3 });
    expect((await status.status()).pending).toEqual({ keys: 0, tokens: 0 });

    const valid = await verify(PLAINTEXTS[0] as string, {
      permissions: "documents.read",
      credits: { cost: 2 },
    });
    expect(valid.data).toMatchObject({
      valid: true,
      code: "VALID",
      keyId: first,
      name: "first",
      meta: { plan: "pro" },
      credits: 8,
      permissions: ["documents.read"],
      identity: { externalId: "user_1" },
    });
    expect((await verify(PLAINTEXTS[1] as string)).data).toMatchObject({ valid: true, keyId: second });
    expect((await verify(PLAINTEXTS[2] as string)).data).toMatchObject({ code: "DISABLED", keyId: third });
    expect((await verify(`${PLAINTEXTS[0]}x`)).data).toEqual({ valid: false, code: "NOT_FOUND" });

    await target.t.instance.keys.lookup.redigests.flush();
    for (const plaintext of PLAINTEXTS) {
      const { peppered, bare, currentVersion } = await storedForms(plaintext);
      expect(peppered?.pepperVersion).toBe(currentVersion);
      expect(bare).toBeNull();
    }
    expect((await status.status()).imported).toEqual({ keys: 0 });
    // No import waits any more; plaintexts in Unkey's format are still looked up, from the store too.
    await target.t.instance.keys.refreshImports();
    target.t.instance.keys.forgetAllCached();
    expect((await verify(PLAINTEXTS[0] as string, { permissions: "documents.read" })).data).toMatchObject({
      valid: true,
      keyId: first,
      credits: 7,
    });
    expect((await verify("acme_unknown")).data).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("accepts a migrationId an import used and refuses any other with a typed 400", async () => {
    await target.unkey.keys.migrateKeys({
      migrationId: "known_migration",
      apiId,
      keys: [{ hash: sha256("acme_for_migration_id").toString("hex") }],
    });
    const known = await verify("acme_for_migration_id", { migrationId: "known_migration" });
    expect(known.data).toMatchObject({ valid: true });
    const unknown = await rejection(
      verify("acme_for_migration_id", { migrationId: "nobody" }),
      BadRequestErrorResponse,
    );
    expect(unknown.data$.error.errors.map((e) => e.location)).toEqual(["body/migrationId"]);
  });

  it("refuses invalid fields with a 400 naming the key, importing nothing", async () => {
    const hash = sha256("acme_invalid_batch").toString("hex");
    const bad = await rejection(
      target.unkey.keys.migrateKeys({
        migrationId: "acme_unkey",
        apiId,
        keys: [{ hash }, { hash: sha256("x").toString("hex"), permissions: ["bad scope!"] }],
      }),
      BadRequestErrorResponse,
    );
    expect(bad.data$.error.errors.map((e) => e.location)).toEqual(["body/keys/1/permissions/0"]);
    const past = await rejection(
      target.unkey.keys.migrateKeys({
        migrationId: "acme_unkey",
        apiId,
        keys: [{ hash, expires: target.t.clock.now() - 1 }],
      }),
      BadRequestErrorResponse,
    );
    expect(past.data$.error.errors.map((e) => e.location)).toEqual(["body/keys/0/expires"]);
    expect((await verify("acme_invalid_batch")).data).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("gives imported keys existing roles by name, and refuses an unknown role with a 400, importing nothing", async () => {
    await target.unkey.permissions.createRole({ name: "importer", permissions: ["reports.export"] });
    const { data } = await target.unkey.keys.migrateKeys({
      migrationId: "acme_roles",
      apiId,
      keys: [{ hash: sha256("acme_with_role").toString("hex"), roles: ["importer"] }],
    });
    const keyId = data.migrated[0]?.keyId as string;
    expect((await target.unkey.keys.getKey({ keyId })).data.roles).toEqual(["importer"]);
    const checked = await verify("acme_with_role", { permissions: "reports.export" });
    expect(checked.data).toMatchObject({ valid: true, roles: ["importer"] });

    const unknown = await rejection(
      target.unkey.keys.migrateKeys({
        migrationId: "acme_roles",
        apiId,
        keys: [
          { hash: sha256("acme_role_ok").toString("hex"), roles: ["importer"] },
          { hash: sha256("acme_role_bad").toString("hex"), roles: ["importer", "nobody"] },
        ],
      }),
      BadRequestErrorResponse,
    );
    expect(unknown.data$.error.errors.map((e) => e.location)).toEqual(["body/keys/1/roles/1"]);
    expect((await verify("acme_role_ok")).data).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("POST /v1/keys/import imports the same way and tells why each failed key failed", async () => {
    const hash = sha256("acme_native_import").toString("hex");
    const res = await target.t.request("POST", "/v1/keys/import", {
      projectId: apiId,
      migrationId: "native",
      keys: [
        { hash, scopes: ["orders:read"], expiresAt: "2099-01-01T00:00:00Z", prefix: "acme" },
        { hash: "xyz" },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { migrated: { keyId: string }[]; failed: unknown[] };
    expect(body.failed).toEqual([{ hash: "xyz", reason: "hash must be a SHA-256 digest, hex or base64" }]);
    const keyId = body.migrated[0]?.keyId as string;
    expect(await target.t.instance.keys.getKey(root, keyId)).toMatchObject({
      start: "acme_",
      scopes: ["orders:read"],
      expiresAt: Date.parse("2099-01-01T00:00:00Z"),
    });
    expect((await verify("acme_native_import")).data).toMatchObject({ valid: true, keyId });
  });

  it("needs keys:create", async () => {
    const reader = target.clientWith((await mintToken(target.t, ["keys:read", "keys:verify"])).token);
    await rejection(
      reader.keys.migrateKeys({
        migrationId: "m",
        apiId,
        keys: [{ hash: sha256("acme_x").toString("hex") }],
      }),
      ForbiddenErrorResponse,
    );
  });
});
