import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { expectKeywardError } from "../../test/support/expect-keyward-error.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import {
  dropTestSchema,
  newTestSchema,
  postgresAvailable,
  TEST_DATABASE_URL,
} from "../../test/support/services.js";
import { type Config, parseConfig } from "../config.js";
import { type Instance, openInstance } from "../instance.js";
import type { Principal } from "../services/principal.js";
import { PepperRotation } from "./pepper-rotation.js";

const root: Principal = { tokenId: "tok_root", permissions: ["*"], projectIds: null };
const MINUTE_MS = 60_000;
const postgres = await postgresAvailable();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Two nodes on one store, each with its own clock, and the rotation tool beside them. */
interface Cluster {
  a: Instance;
  b: Instance;
  clockA: ManualClock;
  clockB: ManualClock;
  rotation: PepperRotation;
}

function sqliteConfig(): Config {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-pepper-rotation-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return parseConfig({ KEYWARD_DATA_DIR: dataDir }, { logLevel: "silent", schedulerEnabled: false });
}

function postgresConfig(): Config {
  const schema = newTestSchema();
  cleanups.push(() => dropTestSchema(schema));
  return parseConfig(
    { KEYWARD_DATABASE_URL: TEST_DATABASE_URL, KEYWARD_DATABASE_SCHEMA: schema },
    { masterKey: randomBytes(32), logLevel: "silent", schedulerEnabled: false },
  );
}

async function openCluster(config: Config): Promise<Cluster> {
  const clockA = new ManualClock();
  const clockB = new ManualClock();
  const a = await openInstance({ config, clock: clockA });
  cleanups.push(() => a.close());
  const b = await openInstance({ config, clock: clockB });
  cleanups.push(() => b.close());
  return { a, b, clockA, clockB, rotation: new PepperRotation({ store: a.stores.peppers, clock: clockA }) };
}

/** Writes the re-digests both nodes have queued, as their flush timer would. */
async function flush(cluster: Cluster): Promise<void> {
  for (const node of [cluster.a, cluster.b]) {
    await node.keys.lookup.redigests.flush();
    await node.tokens.lookup.redigests.flush();
  }
}

function advance(cluster: Cluster, ms: number): void {
  cluster.clockA.advance(ms);
  cluster.clockB.advance(ms);
}

const versionsOf = async (cluster: Cluster) =>
  (await cluster.rotation.status()).versions.map((v) => ({
    version: v.version,
    state: v.state,
    keys: v.keys.active,
    tokens: v.tokens.active,
  }));

function describeRotation(name: string, configOf: () => Config): void {
  describe(`pepper rotation on ${name}`, () => {
    it("stages a version, switches at its activation, and re-digests each old key and token at its next use", async () => {
      const cluster = await openCluster(configOf());
      const { a, b, rotation } = cluster;
      const token = (a.rootToken ?? b.rootToken) as string;
      const old = await Promise.all([1, 2, 3].map(() => a.keys.createKey(root, {})));

      const added = await rotation.rotate({ activateInMs: MINUTE_MS, kms: a.kms });
      expect(added).toMatchObject({
        version: 2,
        name: "pepper.v2",
        activatesAt: cluster.clockA.now() + MINUTE_MS,
      });
      await a.peppers.refresh();
      await b.peppers.refresh();

      // Staged: every node knows it, none digests with it yet, nothing moves.
      expect(await b.keys.verifyKey(root, { key: old[0]?.key as string })).toMatchObject({ valid: true });
      const staged = await a.keys.createKey(root, {});
      await flush(cluster);
      expect(await versionsOf(cluster)).toEqual([
        { version: 1, state: "current", keys: 4, tokens: 1 },
        { version: 2, state: "staged", keys: 0, tokens: 0 },
      ]);

      advance(cluster, MINUTE_MS);
      const fresh = await a.keys.createKey(root, {});
      // Verified on either node, old keys move; the new key was digested with v2 from the start.
      for (const [i, created] of [...old, staged, fresh].entries()) {
        const node = i % 2 === 0 ? a : b;
        expect(await node.keys.verifyKey(root, { key: created.key })).toMatchObject({ valid: true });
      }
      expect(await a.tokens.authenticate(token)).not.toBeNull();
      await flush(cluster);
      expect(await versionsOf(cluster)).toEqual([
        { version: 1, state: "previous", keys: 0, tokens: 0 },
        { version: 2, state: "current", keys: 5, tokens: 1 },
      ]);
      expect((await rotation.status()).pending).toEqual({ keys: 0, tokens: 0 });

      // Moved keys keep verifying on both nodes, from their caches and from the store.
      a.keys.forgetAllCached();
      b.keys.forgetAllCached();
      for (const created of [...old, staged, fresh]) {
        expect(await a.keys.verifyKey(root, { key: created.key })).toMatchObject({ valid: true });
        expect(await b.keys.verifyKey(root, { key: created.key })).toMatchObject({ valid: true });
      }
    });

    it("a node whose clock is behind finds keys another node already moved, and never moves them back", async () => {
      const cluster = await openCluster(configOf());
      const { a, b, rotation } = cluster;
      const created = await a.keys.createKey(root, {});
      await rotation.rotate({ activateInMs: MINUTE_MS, kms: a.kms });
      await a.peppers.refresh();
      await b.peppers.refresh();
      cluster.clockA.advance(MINUTE_MS); // b still sees version 2 as staged

      expect(await a.keys.verifyKey(root, { key: created.key })).toMatchObject({ valid: true });
      await flush(cluster);
      b.keys.forgetAllCached();
      expect(await b.keys.verifyKey(root, { key: created.key })).toMatchObject({ valid: true });
      expect(b.keys.lookup.redigests.pendingCount).toBe(0);
      await flush(cluster);
      expect((await versionsOf(cluster)).find((v) => v.version === 2)?.keys).toBe(1);
    });

    it("refuses a second rotation while one is staged, and numbers the next one after it", async () => {
      const cluster = await openCluster(configOf());
      const { a, rotation } = cluster;
      await rotation.rotate({ activateInMs: MINUTE_MS, kms: a.kms });
      await expectKeywardError(rotation.rotate({ activateInMs: 0, kms: a.kms }), "CONFLICT");
      advance(cluster, MINUTE_MS);
      expect((await rotation.rotate({ activateInMs: 0, kms: a.kms })).version).toBe(3);
    });

    it("retires an old version only when no key or token still uses it, unless forced; retired digests stop verifying", async () => {
      const cluster = await openCluster(configOf());
      const { a, rotation } = cluster;
      const token = (cluster.a.rootToken ?? cluster.b.rootToken) as string;
      const moved = await a.keys.createKey(root, {});
      const idle = await a.keys.createKey(root, {});
      const revoked = await a.keys.createKey(root, {});
      await a.keys.revokeKey(root, revoked.record.id, null);
      await expectKeywardError(rotation.retire(1), "CONFLICT"); // the current version
      await expectKeywardError(rotation.retire(7), "NOT_FOUND");

      await rotation.rotate({ activateInMs: 0, kms: a.kms });
      await a.peppers.refresh();
      await expectKeywardError(rotation.retire(2), "CONFLICT"); // now current
      await a.keys.verifyKey(root, { key: moved.key });
      await a.tokens.authenticate(token);
      await flush(cluster);
      // The idle key still needs version 1; the revoked one does not count.
      await expectKeywardError(rotation.retire(1), "CONFLICT");
      await rotation.retire(1, { force: true });
      await expectKeywardError(rotation.retire(1), "CONFLICT");

      await a.peppers.refresh();
      expect(a.peppers.versions.map((p) => p.version)).toEqual([2]);
      a.keys.forgetAllCached();
      expect(await a.keys.verifyKey(root, { key: moved.key })).toMatchObject({ valid: true });
      expect(await a.keys.verifyKey(root, { key: idle.key })).toEqual({ valid: false, code: "NOT_FOUND" });
      expect((await rotation.status()).versions[0]).toMatchObject({ version: 1, state: "retired" });
    });

    it("re-digests a key once however often it is verified before the batch is written", async () => {
      const cluster = await openCluster(configOf());
      const { a, rotation } = cluster;
      const created = await a.keys.createKey(root, {});
      await rotation.rotate({ activateInMs: 0, kms: a.kms });
      await a.peppers.refresh();
      for (let i = 0; i < 5; i++) {
        a.keys.forgetAllCached();
        expect(await a.keys.verifyKey(root, { key: created.key })).toMatchObject({ valid: true });
      }
      expect(a.keys.lookup.redigests.pendingCount).toBe(1);
      await flush(cluster);
      const metrics = await a.metrics.render();
      expect(metrics).toMatch(/keyward_pepper_redigests_total\{kind="key"\} 1\b/);
    });
  });
}

describeRotation("SQLite (two nodes on one file)", sqliteConfig);
(postgres ? describe : describe.skip)("PostgreSQL", () => {
  describeRotation("PostgreSQL (two nodes)", postgresConfig);
});
