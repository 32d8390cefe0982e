import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ListeningNode, openListeningNode } from "../test/support/listening-node.js";
import {
  dropTestSchema,
  newTestSchema,
  postgresAvailable,
  redisAvailable,
  runOnPostgres,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from "../test/support/services.js";
import { type Config, parseConfig } from "./config.js";
import { openInstance } from "./instance.js";
import type { Principal } from "./services/principal.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };

const postgres = await postgresAvailable();
const redis = await redisAvailable();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openNode(config: Config): Promise<ListeningNode> {
  return openListeningNode(config, cleanups);
}

function postgresConfig(env: Record<string, string> = {}, schema = newTestSchema()): Config {
  cleanups.push(() => dropTestSchema(schema));
  return parseConfig(
    { KEYWARD_DATABASE_URL: TEST_DATABASE_URL, KEYWARD_DATABASE_SCHEMA: schema, ...env },
    { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false },
  );
}

describe.skipIf(!postgres)("openInstance() on PostgreSQL (KEYWARD_DATABASE_URL)", () => {
  it("initializes once, issues and verifies keys, and keeps them across restarts of every node", async () => {
    const config = postgresConfig();
    // Two nodes starting at once: one initializes (and prints the root token), the other unseals its pepper.
    const [a, b] = await Promise.all([openInstance({ config }), openInstance({ config })]);
    try {
      expect([a.rootToken, b.rootToken].filter((t) => t !== null)).toHaveLength(1);
      const created = await a.keys.createKey(root, { name: "shared", scopes: ["orders:read"] });
      expect(await b.keys.verifyKey(root, { key: created.key, scopes: ["orders:read"] })).toMatchObject({
        valid: true,
        code: "VALID",
      });
    } finally {
      await a.close();
      await b.close();
    }
    const again = await openInstance({ config });
    try {
      expect(again.rootToken).toBeNull();
      const page = await again.keys.listKeys(root, {});
      expect(page.items.map((k) => k.name)).toEqual(["shared"]);
    } finally {
      await again.close();
    }
  });

  it("listens for other nodes' changes over LISTEN/NOTIFY and reports it in readiness", async () => {
    const a = await openNode(postgresConfig());
    expect(a.instance.invalidations?.state()).toBe("listening");
    expect((await a.instance.checkReadiness()).cacheInvalidation).toBe("listening");
  });

  describe("a change on one node reaches every node's cache, although the TTL is an hour", () => {
    const env = { KEYWARD_CACHE_TTL_MS: "3600000" };

    it("revokeKey(), disabling, updating and rotating on one node change verifyKey() on the others", async () => {
      const config = postgresConfig(env);
      const a = await openNode(config);
      const b = await openNode(config);
      const c = await openNode(config);
      const revoked = await a.instance.keys.createKey(root, { name: "revoked" });
      const disabled = await a.instance.keys.createKey(root, { name: "disabled", scopes: ["read"] });
      const rotated = await a.instance.keys.createKey(root, { name: "rotated" });
      for (const node of [b, c]) {
        for (const { key } of [revoked, disabled, rotated]) {
          expect(await node.instance.keys.verifyKey(root, { key })).toMatchObject({ code: "VALID" });
        }
      }

      let heard = Promise.all([b.heard("key"), c.heard("key")]);
      await a.instance.keys.revokeKey(root, revoked.record.id, "leaked");
      await heard;
      for (const node of [b, c]) {
        expect(await node.instance.keys.verifyKey(root, { key: revoked.key })).toMatchObject({
          code: "REVOKED",
        });
      }

      heard = Promise.all([b.heard("key"), c.heard("key")]);
      await a.instance.keys.updateKey(root, disabled.record.id, { enabled: false });
      await heard;
      expect(await b.instance.keys.verifyKey(root, { key: disabled.key })).toMatchObject({
        code: "DISABLED",
      });

      heard = Promise.all([b.heard("key"), c.heard("key")]);
      await a.instance.keys.rotateKey(root, rotated.record.id, { gracePeriodSeconds: 0 });
      await heard;
      expect(await c.instance.keys.verifyKey(root, { key: rotated.key })).toMatchObject({ code: "EXPIRED" });
    });

    it("bulk revocation of more keys than one notification holds reaches every key", async () => {
      const config = postgresConfig(env);
      const a = await openNode(config);
      const b = await openNode(config);
      const keys = [];
      for (let i = 0; i < 300; i++) keys.push(await a.instance.keys.createKey(root, { ownerId: "acme" }));
      for (const { key } of keys) expect((await b.instance.keys.verifyKey(root, { key })).code).toBe("VALID");
      const heard = b.heard("key");
      expect(await a.instance.keys.revokeKeys(root, { ownerId: "acme" })).toEqual({ revoked: 300 });
      await heard;
      // Several notifications carry the 300 ids; the last one was sent before revokeKeys() resolved.
      const last = keys.at(-1);
      if (last === undefined) throw new Error("no keys");
      for (;;) {
        const answer = await b.instance.keys.verifyKey(root, { key: last.key });
        if (answer.code === "REVOKED") break;
        await b.heard("key");
      }
      for (const { key } of keys)
        expect((await b.instance.keys.verifyKey(root, { key })).code).toBe("REVOKED");
    });

    it("a revoked root token stops authenticating on the other nodes", async () => {
      const config = postgresConfig(env);
      const a = await openNode(config);
      const b = await openNode(config);
      const minted = await a.instance.tokens.createToken(root, { name: "ops", permissions: ["keys:read"] });
      expect(await b.instance.tokens.authenticate(minted.token)).not.toBeNull();
      const heard = b.heard("token");
      await a.instance.tokens.revokeToken(root, minted.record.id);
      await heard;
      expect(await b.instance.tokens.authenticate(minted.token)).toBeNull();
    });

    it("a project's new IP allowlist applies on the other nodes", async () => {
      const config = postgresConfig(env);
      const a = await openNode(config);
      const b = await openNode(config);
      const created = await a.instance.keys.createKey(root, {});
      const request = { key: created.key, ip: "203.0.113.7" };
      expect((await b.instance.keys.verifyKey(root, request)).code).toBe("VALID");
      const heard = b.heard("project");
      await a.instance.projects.updateProject(root, created.record.projectId, {
        ipAllowlist: ["10.0.0.0/8"],
      });
      await heard;
      expect((await b.instance.keys.verifyKey(root, request)).code).toBe("IP_NOT_ALLOWED");
    });

    it("erasing a key, and deleting a project, stop its keys on the other nodes", async () => {
      const config = postgresConfig(env);
      const a = await openNode(config);
      const b = await openNode(config);
      const project = await a.instance.projects.createProject(root, { name: "doomed" });
      const erased = await a.instance.keys.createKey(root, {});
      const ofProject = await a.instance.keys.createKey(root, { projectId: project.id });
      for (const { key } of [erased, ofProject]) {
        expect((await b.instance.keys.verifyKey(root, { key })).code).toBe("VALID");
      }
      let heard = b.heard("key");
      await a.instance.keys.deleteKey(root, erased.record.id);
      await heard;
      expect((await b.instance.keys.verifyKey(root, { key: erased.key })).code).toBe("NOT_FOUND");
      // The project's deletion alone (before its keys' revocations) already stops them.
      heard = b.heard("project");
      await a.instance.projects.deleteProject(root, project.id);
      await heard;
      expect((await b.instance.keys.verifyKey(root, { key: ofProject.key })).code).toBe("NOT_FOUND");
    });

    it("a rate limit override applies on the other nodes", async () => {
      const config = postgresConfig(env);
      const a = await openNode(config);
      const b = await openNode(config);
      const check = { namespace: "login", identifier: "alice", limit: 100, windowMs: 60_000 };
      expect(await b.instance.ratelimits.limit(root, check)).toMatchObject({ success: true, limit: 100 });
      const heard = b.heard("ratelimit_override");
      await a.instance.ratelimits.setOverride(root, {
        namespace: "login",
        identifier: "alice",
        limit: 1,
        windowMs: 60_000,
      });
      await heard;
      expect(await b.instance.ratelimits.limit(root, check)).toMatchObject({ limit: 1, overridden: true });
    });
  });

  it("two nodes revoking one owner's keys at once revoke every key between them, none twice", async () => {
    const config = postgresConfig();
    const a = await openNode(config);
    const b = await openNode(config);
    const total = 1_100;
    for (let i = 0; i < total; i++) await a.instance.keys.createKey(root, { ownerId: "leaver" });
    const [byA, byB] = await Promise.all([
      a.instance.keys.revokeKeys(root, { ownerId: "leaver" }),
      b.instance.keys.revokeKeys(root, { ownerId: "leaver" }),
    ]);
    expect(byA.revoked + byB.revoked).toBe(total);
    const [left] = await runOnPostgres<{ count: string }>(
      `SELECT count(*) FROM ${config.databaseSchema}.keys WHERE owner_id = 'leaver' AND revoked_at IS NULL`,
    );
    expect(Number(left?.count)).toBe(0);
  });

  it("usage counts and lastUsedAt from every node add up exactly", async () => {
    const schema = newTestSchema();
    const config = postgresConfig({}, schema);
    const nodes = [await openNode(config), await openNode(config), await openNode(config)];
    const [a] = nodes;
    if (a === undefined) throw new Error("no node");
    const created = await a.instance.keys.createKey(root, {});
    await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: 200 }, () => node.instance.keys.verifyKey(root, { key: created.key })),
      ),
    );
    for (const node of nodes) await node.instance.keys.usage.flush();
    const stored = await a.instance.store.findKey(created.record.id);
    expect(stored?.lastUsedAt).not.toBeNull();
    const [usage] = await runOnPostgres<{ verification_count: number }>(
      `SELECT verification_count FROM ${schema}.key_usage WHERE key_id = $1`,
      [created.record.id],
    );
    expect(Number(usage?.verification_count)).toBe(600);
  });
});

describe.skipIf(!redis)("openInstance() on one SQLite file with Redis (KEYWARD_REDIS_URL)", () => {
  it("broadcasts revocations over Redis pub/sub to the other processes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keyward-"));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const config = parseConfig(
      {
        KEYWARD_DATA_DIR: dataDir,
        KEYWARD_REDIS_URL: TEST_REDIS_URL,
        KEYWARD_REDIS_PREFIX: `keyward-test:${randomBytes(8).toString("hex")}:`,
        KEYWARD_CACHE_TTL_MS: "3600000",
      },
      { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false },
    );
    const a = await openNode(config);
    const b = await openNode(config);
    expect(b.instance.invalidations?.state()).toBe("listening");
    const created = await a.instance.keys.createKey(root, {});
    expect((await b.instance.keys.verifyKey(root, { key: created.key })).code).toBe("VALID");
    const heard = b.heard("key");
    await a.instance.keys.revokeKey(root, created.record.id, null);
    await heard;
    expect((await b.instance.keys.verifyKey(root, { key: created.key })).code).toBe("REVOKED");
  });
});
