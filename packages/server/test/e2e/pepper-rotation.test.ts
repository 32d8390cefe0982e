import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  isServerBuilt,
  KEYWARD_BIN,
  requestJson,
  type ServerProcess,
  startServerProcess,
} from "../support/server-process.js";
import { dropTestSchema, newTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../support/services.js";

// Pepper rotation beside a running server (docs/kms.md#rotating-the-digest-pepper): `keyward kms pepper-rotate`
// from another process while keys are verified without pause; every key keeps verifying, moves to the new
// version at its next verification, and the old version can then be retired without --force.

const built = isServerBuilt();
const postgres = built && (await postgresAvailable());

const KEYS = 200;
/** Revoked keys, each verified once after the retirement: REVOKED while the server still holds version 1. */
const SENTINELS = 40;
const VERIFIERS = 8;
const DEADLINE_MS = 30_000;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `keyward` CLI as a process of its own, as an operator beside the server would. */
function runKeyward(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [KEYWARD_BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

interface PepperStatus {
  current: number;
  versions: {
    version: number;
    state: string;
    keys: { active: number; revoked: number };
    tokens: { active: number; revoked: number };
  }[];
  pending: { keys: number; tokens: number };
}

async function pepperStatus(env: Record<string, string>): Promise<PepperStatus> {
  const run = await runKeyward(["kms", "pepper-status", "--json"], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as PepperStatus;
}

async function verify(server: ServerProcess, token: string, key: string): Promise<string> {
  const res = await requestJson<{ valid: boolean; code: string }>(
    server.url,
    token,
    "POST",
    "/v1/keys/verify",
    {
      key,
    },
  );
  return res.status === 200 ? res.body.code : `HTTP ${res.status}`;
}

/** Verifies every key, a few at a time; resolves with how many outcomes of each code there were. */
async function verifyAll(server: ServerProcess, token: string, keys: readonly string[]) {
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < keys.length; i += VERIFIERS * 4) {
    const codes = await Promise.all(
      keys.slice(i, i + VERIFIERS * 4).map((key) => verify(server, token, key)),
    );
    for (const code of codes) outcomes[code] = (outcomes[code] ?? 0) + 1;
  }
  return outcomes;
}

/** Verifiers cycling through every key until stopped; any answer but valid:true is a failure. */
function startVerificationLoad(server: ServerProcess, token: string, keys: readonly string[]) {
  let running = true;
  let next = 0;
  const validAt: number[] = [];
  const failures: string[] = [];
  const loops = Array.from({ length: VERIFIERS }, async () => {
    while (running) {
      const key = keys[next++ % keys.length] ?? "";
      try {
        const res = await requestJson<{ valid: boolean; code: string }>(
          server.url,
          token,
          "POST",
          "/v1/keys/verify",
          { key },
        );
        if (res.status === 200 && res.body.valid === true) validAt.push(Date.now());
        else failures.push(`HTTP ${res.status} ${JSON.stringify(res.body)}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { validAt, failures };
    },
  };
}

async function metricValue(server: ServerProcess, token: string, series: string): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The whole scenario against a server started with `env` (plus what the scenario needs). */
async function rotateUnderLoad(storeEnv: Record<string, string>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-e2e-pepper-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    ...storeEnv,
    KEYWARD_DATA_DIR: dataDir,
    KEYWARD_PEPPER_REFRESH_SECONDS: "1",
    KEYWARD_SCHEDULER_ENABLED: "false",
    KEYWARD_WEBHOOK_DELIVERY_ENABLED: "false",
    // The sentinels' NOT_FOUND answers must not get this client throttled.
    KEYWARD_BRUTE_FORCE_LIMIT: "0",
  };
  let server = await startServerProcess(env);
  cleanups.push(() => server.kill());
  const token = server.rootToken ?? "";
  expect(token).not.toBe("");

  const create = async (name: string): Promise<{ id: string; key: string }> => {
    const res = await requestJson<{ id: string; key: string }>(server.url, token, "POST", "/v1/keys", {
      name,
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const keys: string[] = [];
  for (let i = 0; i < KEYS; i += 20) {
    const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => create(`load-${i + j}`)));
    keys.push(...batch.map((k) => k.key));
  }
  const sentinels = await Promise.all(Array.from({ length: SENTINELS }, (_, i) => create(`sentinel-${i}`)));
  for (const s of sentinels) {
    const res = await requestJson(server.url, token, "POST", `/v1/keys/${s.id}/revoke`, {});
    expect(res.status).toBe(200);
  }
  expect((await pepperStatus(env)).versions).toMatchObject([
    { version: 1, state: "current", keys: { active: KEYS, revoked: SENTINELS }, tokens: { active: 1 } },
  ]);

  const load = startVerificationLoad(server, token, keys);
  let report: Awaited<ReturnType<typeof load.stop>>;
  let activatesAt: number;
  try {
    const rotated = await runKeyward(["kms", "pepper-rotate", "--activate-in", "2s", "--json"], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const added = JSON.parse(rotated.stdout) as { version: number; activatesAt: number };
    expect(added.version).toBe(2);
    activatesAt = added.activatesAt;

    // Until every active key and token has moved, as the server verifies them.
    const started = Date.now();
    for (;;) {
      const status = await pepperStatus(env);
      if (status.current === 2 && status.pending.keys === 0 && status.pending.tokens === 0) break;
      if (Date.now() - started > DEADLINE_MS) {
        throw new Error(`not every key moved to version 2 in ${DEADLINE_MS} ms: ${JSON.stringify(status)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    report = await load.stop();
  }
  const before = report.validAt.filter((t) => t < activatesAt).length;
  const after = report.validAt.length - before;
  console.info(
    `verifications during the pepper rotation: ${before} before activation, ${after} after, ${report.failures.length} failed`,
  );
  expect(report.failures.slice(0, 5)).toEqual([]);
  expect(report.failures).toHaveLength(0);
  // The load ran across the switch: verified under version 1, then every key again under version 2.
  expect(before).toBeGreaterThan(0);
  expect(after).toBeGreaterThanOrEqual(KEYS);

  const moved = await pepperStatus(env);
  expect(moved.versions.map((v) => [v.version, v.state, v.keys.active, v.tokens.active])).toEqual([
    [1, "previous", 0, 0],
    [2, "current", KEYS, 1],
  ]);
  // Each key's digest is swapped once (compare-and-swap on the old digest); the revoked ones were never verified.
  expect(await metricValue(server, token, 'keyward_pepper_redigests_total{kind="key"}')).toBe(KEYS);
  expect(await metricValue(server, token, 'keyward_pepper_redigests_total{kind="token"}')).toBe(1);

  // Nothing active uses version 1 any more (revoked keys do not count): no --force needed.
  const retired = await runKeyward(["kms", "pepper-retire", "1", "--json"], env);
  expect(retired.code, retired.stderr).toBe(0);
  expect(JSON.parse(retired.stdout)).toEqual({ retired: 1 });

  // Once the server has reloaded its peppers, a digest under version 1 finds nothing: each sentinel is verified
  // once (a verified one would be cached, and moved to version 2), REVOKED until then, NOT_FOUND from then on.
  const probes: string[] = [];
  for (const sentinel of sentinels) {
    const code = await verify(server, token, sentinel.key);
    probes.push(code);
    if (code === "NOT_FOUND") break;
    expect(code).toBe("REVOKED");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.info(`sentinels verified after the retirement: ${probes.join(", ")}`);
  expect(probes.at(-1), `the server still found version 1 digests: ${probes.join(",")}`).toBe("NOT_FOUND");

  expect(await verifyAll(server, token, keys)).toEqual({ VALID: KEYS });
  // From cold caches, with version 2 alone: a restarted server verifies every key and accepts the root token.
  expect(await server.stop()).toBe(0);
  server = await startServerProcess(env);
  expect(await verifyAll(server, token, keys)).toEqual({ VALID: KEYS });
}

describe.skipIf(!built)("keyward kms pepper-rotate beside a running server: SQLite", () => {
  it("moves every key to the new pepper while they are verified, with no failed verification, then retires the old one", async () => {
    await rotateUnderLoad({});
  }, 60_000);
});

describe.skipIf(!postgres)("keyward kms pepper-rotate beside a running server: PostgreSQL", () => {
  it("moves every key to the new pepper while they are verified, with no failed verification, then retires the old one", async () => {
    const schema = newTestSchema();
    cleanups.push(() => dropTestSchema(schema));
    await rotateUnderLoad({
      KEYWARD_DATABASE_URL: TEST_DATABASE_URL,
      KEYWARD_DATABASE_SCHEMA: schema,
      KEYWARD_MASTER_KEY: randomBytes(32).toString("base64"),
    });
  }, 60_000);
});
