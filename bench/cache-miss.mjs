// Cache-miss verification in-process, with 1,000,000 keys in a SQLite store: KeyService.verifyKey with the cache
// off (cacheMaxEntries: 0), over distinct keys, sequentially and with 50 in flight; baseline in the same run: raw
// SqliteKeyStore.findKeyByDigest lookups of the same keys, and digestKey alone. Target: >= 20,000 verifications/s.
//
// The 1M-key database is built once and cached in bench/.results/ (named by key count and schema version).
// Keys are derived from their row number, so the sample keys are re-created instead of stored.
//
// Env: BENCH_MISS_KEYS (default 1000000), BENCH_MISS_SAMPLES (distinct keys verified per phase, default 30000),
// BENCH_MISS_ROUNDS (default 2), BENCH_MISS_CONCURRENCY (default 50), BENCH_PIN=0 (no CPU pinning),
// BENCH_SERVER_DIST (another build of packages/server/dist to measure instead).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { digestKey } from "../packages/core/dist/digest-key.js";
import { generateKey, keyStart } from "../packages/core/dist/key-format.js";
import { cpuStatDelta, pinThisProcess, planPinning, RESULTS_DIR, readCpuStat } from "./lib/processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./lib/report.mjs";

// BENCH_SERVER_DIST measures another build of packages/server/dist (A/B of a server change).
const dist = process.env.BENCH_SERVER_DIST
  ? pathToFileURL(`${process.env.BENCH_SERVER_DIST.replace(/\/$/, "")}/`)
  : new URL("../packages/server/dist/", import.meta.url);
const { KeyService } = await import(new URL("services/key-service.js", dist));
const { ProjectService } = await import(new URL("services/project-service.js", dist));
const { KeyLimits } = await import(new URL("services/key-limits.js", dist));
const { MemoryRateLimiter } = await import(new URL("limits/memory-rate-limiter.js", dist));
const { SqliteKeyStore } = await import(new URL("store/sqlite-key-store.js", dist));
const { PepperRing } = await import(new URL("kms/pepper-ring.js", dist));
const { SQLITE_MIGRATIONS } = await import(new URL("store/sqlite-migrations.js", dist));

const TARGET_PER_SECOND = 20_000;
const KEY_COUNT = envNumber("BENCH_MISS_KEYS", 1_000_000);
const SAMPLES = Math.min(envNumber("BENCH_MISS_SAMPLES", 30_000), KEY_COUNT);
const ROUNDS = Math.max(1, envNumber("BENCH_MISS_ROUNDS", 2));
const CONCURRENCY = Math.max(1, envNumber("BENCH_MISS_CONCURRENCY", 50));
const PROJECT_ID = "proj_0000000000000000bench0";
const PREFIX = "kw";
const CREATED_AT = Date.UTC(2026, 0, 1);
const PEPPER = createHash("sha256").update("keyward-bench-pepper").digest();
const PRINCIPAL = { tokenId: "tok_bench", permissions: ["*"], projectIds: null };
const clock = { now: () => Date.now() };

const sha256 = (text) => createHash("sha256").update(text).digest();

/** The plaintext key of row `i`: a real generateKey() output with randomness derived from `i`. */
function keyAt(i) {
  return generateKey({
    prefix: PREFIX,
    bytes: 32,
    randomBytes: (n) => sha256(`keyward-bench-key:${i}`).subarray(0, n),
  });
}

/** A cheap, unique, time-ordered id of the same shape as newId("key"): `key_` and 22 base62 characters. */
function idAt(i) {
  return `key_${(CREATED_AT + i).toString(36).padStart(12, "0")}${sha256(`id:${i}`).toString("hex").slice(0, 10)}`;
}

/** Rows whose plaintext we re-create and verify: evenly spread over the table. */
function sampleRows() {
  const stride = Math.floor(KEY_COUNT / SAMPLES);
  return Array.from({ length: SAMPLES }, (_, n) => n * stride);
}

function schemaTag() {
  const version = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
  const hash = sha256(SQLITE_MIGRATIONS.map((m) => m.sql).join("\n"))
    .toString("hex")
    .slice(0, 8);
  return `schema${version}-${hash}`;
}

/**
 * Builds the database once: the store's own migrations, one project, then KEY_COUNT keys in one transaction
 * straight through better-sqlite3 (the store has no bulk insert). Sample rows hold real keys with their real
 * HMAC digests; the other rows hold random digests, which look the same to the index.
 */
async function ensureDatabase(path) {
  if (existsSync(path)) return { built: false, seconds: 0 };
  const started = performance.now();
  // Databases built for another key count or schema are stale: drop them (each is several hundred MB).
  for (const name of readdirSync(RESULTS_DIR)) {
    if (/^cache-miss-.*\.db(-wal|-shm|\.building.*)?$/.test(name))
      rmSync(join(RESULTS_DIR, name), { force: true });
  }
  const temporary = `${path}.building`;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${temporary}${suffix}`, { force: true });
  const store = new SqliteKeyStore({ path: temporary });
  await store.migrate();
  await store.createProject({
    id: PROJECT_ID,
    name: "bench",
    keyPrefix: PREFIX,
    policies: {},
    ipAllowlist: null,
    timezone: "UTC",
    createdAt: CREATED_AT,
  });
  await store.close();

  const db = new Database(temporary);
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -524288");
  const insert = db.prepare(
    "INSERT INTO keys (id, project_id, digest, start, name, owner_id, scopes, meta, created_at, updated_at, expires_at, enabled, revoked_at, revoked_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, NULL, NULL)",
  );
  const samples = new Set(sampleRows());
  const scopes = JSON.stringify(["bench:read", "bench:write"]);
  db.transaction(() => {
    for (let i = 0; i < KEY_COUNT; i++) {
      let digest;
      let start;
      if (samples.has(i)) {
        const key = keyAt(i);
        digest = digestKey(key, PEPPER);
        start = keyStart(key);
      } else {
        digest = sha256(`keyward-bench-filler:${i}`);
        start = `${PREFIX}_${digest.toString("hex").slice(0, 4)}`;
      }
      const createdAt = CREATED_AT + i;
      const meta = JSON.stringify({ plan: i % 3 === 0 ? "pro" : "free" });
      insert.run(
        idAt(i),
        PROJECT_ID,
        digest,
        start,
        `customer ${i}`,
        `owner_${i % 10_000}`,
        scopes,
        meta,
        createdAt,
        createdAt,
      );
    }
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  renameSync(temporary, path);
  for (const suffix of ["-wal", "-shm"]) rmSync(`${temporary}${suffix}`, { force: true });
  return { built: true, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs `work(i)` for every i in [0, n) with at most `concurrency` in flight, then `finish()`, all timed; returns
 * the rate, elapsed seconds, the slowest single call and CPU use.
 */
async function timed(n, concurrency, work, finish) {
  const cpuStart = process.cpuUsage();
  const systemStart = readCpuStat();
  const started = performance.now();
  let maxMs = null;
  if (concurrency === 1) {
    // The slowest single call shows event-loop stalls (a synchronous usage flush runs inside one call).
    maxMs = 0;
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await work(i);
      maxMs = Math.max(maxMs, performance.now() - t);
    }
  } else {
    let next = 0;
    const worker = async () => {
      while (next < n) await work(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  await finish?.();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const system = cpuStatDelta(systemStart, readCpuStat());
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const systemBusy = system === null ? null : Object.values(system).reduce((a, c) => a + c.busy, 0);
  return {
    perSecond: n / seconds,
    seconds,
    maxMs,
    cpuShare: cpuSeconds / seconds,
    otherCpu: systemBusy === null ? null : Math.max(0, systemBusy - cpuSeconds) / seconds,
  };
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function main() {
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.serverCpu);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `cache-miss-${KEY_COUNT}-keys-${SAMPLES}-samples-${schemaTag()}.db`);
  console.log(
    `cache-miss: ${count(KEY_COUNT)} keys, ${count(SAMPLES)} distinct keys per phase, ${ROUNDS} rounds, ` +
      `concurrency 1 and ${CONCURRENCY}; ${pinning.enabled ? `pinned to CPU ${pinning.serverCpu}` : "no CPU pinning"}`,
  );
  const database = await ensureDatabase(path);
  console.log(
    database.built
      ? `  built ${path} in ${database.seconds.toFixed(1)} s (cached for the next run)`
      : `  reusing ${path}`,
  );

  const prepareStart = performance.now();
  const rows = sampleRows();
  const keys = rows.map(keyAt);
  const digests = keys.map((key) => digestKey(key, PEPPER));
  const store = new SqliteKeyStore({ path });
  await store.migrate();
  const projects = new ProjectService({ store, clock, defaultProjectId: async () => PROJECT_ID });
  // No cache: every verification is a miss.
  // The sample keys have no rate limits or quota: the limiter is never reached, as for such keys in production.
  const limits = new KeyLimits({
    limiter: new MemoryRateLimiter(),
    writeBalances: async () => {},
    rateLimitsFailOpen: true,
    quotaFailOpen: false,
  });
  const serviceOptions = {
    projects,
    limits,
    peppers: PepperRing.of(PEPPER, clock),
    redigest: async () => 0,
    clock,
    keyBytes: 32,
    cacheMaxEntries: 0,
    cacheTtlMs: 0,
  };
  const service = new KeyService({ store, ...serviceOptions });
  // As in the server: batched usage writes every second (and whenever 10,000 distinct keys are pending).
  service.usage.start(1_000);
  const stored = (await store.findKeyByDigest(digests[0]))?.record;
  if (stored === undefined) throw new Error(`The cached database ${path} lacks its sample keys; delete it.`);

  let invalid = 0;
  const lookup = async (i) => {
    if ((await store.findKeyByDigest(digests[i])) === null) invalid += 1;
  };
  const verify = async (i) => {
    const result = await service.verifyKey(PRINCIPAL, { key: keys[i] });
    if (!result.valid) invalid += 1;
  };
  // Diagnostic: the same KeyService over a store view whose usage writes are dropped, to show what the batched
  // lastUsedAt/count write-back costs when every verification is of a different key.
  const noUsageStore = new Proxy(store, {
    get(target, property) {
      if (property === "recordKeyUsage") return async () => {};
      const value = target[property];
      // Bound to the real store: its methods use private fields, which a proxy receiver would not have.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const serviceWithoutUsage = new KeyService({ store: noUsageStore, ...serviceOptions });
  // Diagnostic: during a pepper rotation, before a key has moved: a second, newer pepper is current, so each miss
  // digests under both and reads both digests at once. Its re-digests are dropped, so every round measures that.
  const rotating = new PepperRing(
    [
      { version: 1, pepper: PEPPER, activatesAt: 0 },
      { version: 2, pepper: sha256("keyward-bench-pepper-v2"), activatesAt: 0 },
    ],
    clock,
  );
  const serviceRotating = new KeyService({ store: noUsageStore, ...serviceOptions, peppers: rotating });
  const verifyRotating = async (i) => {
    const result = await serviceRotating.verifyKey(PRINCIPAL, { key: keys[i] });
    if (!result.valid) invalid += 1;
  };
  const verifyWithoutUsage = async (i) => {
    const result = await serviceWithoutUsage.verifyKey(PRINCIPAL, { key: keys[i] });
    if (!result.valid) invalid += 1;
  };
  // Each verification phase pays for writing back exactly its own usage: pending entries are flushed before the
  // phase (untimed) and at its end (timed).
  const flushUsage = () => service.usage.flush();
  const digestOnly = async (i) => {
    digestKey(keys[i], PEPPER);
  };
  // Warm-up: pull the sample rows' pages into the OS page cache and let the JIT settle on every path.
  for (let i = 0; i < SAMPLES; i++) await lookup(i);
  for (let i = 0; i < Math.min(SAMPLES, 10_000); i++) await verify(i);
  const setupSeconds = (performance.now() - prepareStart) / 1000 + database.seconds;

  const phases = [
    { name: "digestKey only (HMAC-SHA256)", concurrency: 1, work: digestOnly, baseline: false },
    { name: "store.findKeyByDigest (baseline)", concurrency: 1, work: lookup, baseline: true },
    { name: "keys.verifyKey, sequential", concurrency: 1, work: verify, finish: flushUsage, baseline: false },
    {
      name: `keys.verifyKey, ${CONCURRENCY} in flight`,
      concurrency: CONCURRENCY,
      work: verify,
      finish: flushUsage,
      baseline: false,
    },
    {
      name: "verifyKey, usage writes dropped (diagnostic)",
      concurrency: 1,
      work: verifyWithoutUsage,
      baseline: false,
    },
    {
      name: "same, two live peppers mid-rotation (diagnostic)",
      concurrency: 1,
      work: verifyRotating,
      baseline: false,
    },
  ];
  const measured = new Map(phases.map((p) => [p.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const phase of phases) {
      await flushUsage();
      measured.get(phase.name).push(await timed(SAMPLES, phase.concurrency, phase.work, phase.finish));
    }
  }
  await service.usage.stop();
  await serviceWithoutUsage.usage.stop();
  await serviceRotating.usage.stop();
  await serviceRotating.lookup.redigests.stop();
  await store.close();

  const summary = phases.map((phase) => {
    const runs = measured.get(phase.name);
    return {
      name: phase.name,
      concurrency: phase.concurrency,
      perSecond: mean(runs.map((r) => r.perSecond)),
      cpuShare: mean(runs.map((r) => r.cpuShare)),
      maxMs: runs[0].maxMs === null ? null : Math.max(...runs.map((r) => r.maxMs)),
      otherCpu: runs.some((r) => r.otherCpu === null) ? null : Math.max(...runs.map((r) => r.otherCpu)),
      runs,
    };
  });
  const baseline = summary.find((s) => s.name.includes("baseline"));
  const sequential = summary.find((s) => s.name === "keys.verifyKey, sequential");
  const concurrent = summary.find((s) => s.name.startsWith("keys.verifyKey,") && s.concurrency > 1);
  const valid = invalid === 0;

  console.log();
  console.log(
    table([
      [
        "phase (mean of rounds)",
        "ops/s",
        "µs/op",
        "slowest op ms",
        "vs baseline",
        "process CPU",
        "other CPU (max)",
      ],
      ...summary.map((s) => [
        s.name,
        count(s.perSecond),
        (1e6 / s.perSecond).toFixed(1),
        s.maxMs === null ? "" : s.maxMs.toFixed(1),
        ratio(s.perSecond / baseline.perSecond),
        `${Math.round(s.cpuShare * 100)}%`,
        s.otherCpu === null ? "n/a" : `${Math.round(s.otherCpu * 100)}%`,
      ]),
    ]),
  );
  console.log(`setup ${setupSeconds.toFixed(1)} s (database ${database.built ? "built" : "cached"})`);
  console.log();
  const worst = Math.min(sequential.perSecond, concurrent.perSecond);
  const pass = worst >= TARGET_PER_SECOND;
  console.log(
    `cache-miss verifications/s = ${count(worst)} (lower of sequential and ${CONCURRENCY} in flight; target >= ${count(TARGET_PER_SECOND)})  ${valid ? verdict(pass) : "INVALID"}`,
  );
  console.log(
    `verifyKey / findKeyByDigest = ${ratio(sequential.perSecond / baseline.perSecond)} (sequential)`,
  );
  if (!valid) console.log(`INVALID: ${invalid} lookups or verifications did not find a valid key.`);

  const resultPath = writeResult("cache-miss", {
    machine: describeMachine(),
    settings: {
      keyCount: KEY_COUNT,
      samples: SAMPLES,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      pinning,
    },
    database: { path, ...database },
    setupSeconds,
    phases: summary,
    valid,
    targets: [
      {
        name: "cache-miss verification >= 20,000/s in-process (1M keys)",
        value: worst,
        pass: valid && pass,
      },
    ],
  });
  console.log(`results: ${resultPath}`);
  if (!valid) process.exitCode = 1;
}

await main();
