// What do rate limits and quotas cost a verification? POST /v1/keys/verify throughput of one built Keyward server
// per limiter backend — in-process memory, and Redis (KEYWARD_REDIS_URL, a unique key prefix) — each measured with
// a plain key (no limits) and with a key carrying a rate limit and a quota too large ever to refuse, in the same
// run: plain -> limited -> limited -> plain per backend, each run with a warm-up, 50 connections, pipelining 1.
// Every answer must be VALID (and, for the limited key, carry its rateLimits and quota, not `degraded`); anything
// else marks the run INVALID. Prints the ratios limited/plain per backend against the targets.
//
// Env:
//   BENCH_DURATION     measured seconds per run (default 10)
//   BENCH_WARMUP       warm-up seconds before each run (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_REDIS_URL    the Redis to measure (default KEYWARD_REDIS_URL, else redis://127.0.0.1:6379); when it does
//                      not answer the Redis half is skipped with a warning (and the bench fails under CI=true)
//   BENCH_PIN=0        no CPU pinning (default: autocannon on CPU 0, the server under test on CPU 1; Redis unpinned)
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { postJson, startKeyward } from "./lib/keyward.mjs";
import { measureVerify } from "./lib/measure-verify.mjs";
import { cpuSecondsOf, pinThisProcess, planPinning } from "./lib/processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./lib/report.mjs";

const TARGETS = { memory: 0.8, redis: 0.4 };
const DURATION_SECONDS = envNumber("BENCH_DURATION", 10);
const WARMUP_SECONDS = envNumber("BENCH_WARMUP", 3);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 50);
const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.KEYWARD_REDIS_URL || "redis://127.0.0.1:6379";
const SCOPE = "bench:read";
/** A run during which other processes used more than this share of a core is flagged as noisy. */
const NOISE_LIMIT = 0.25;
/** Never refuses: 1e12 per second (limit * windowMs stays under the sliding window's 2^50) and a 1e12 quota. */
const LIMITS = {
  rateLimits: [{ name: "requests", limit: 1e12, windowMs: 1_000 }],
  quota: { remaining: 1e12 },
};

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function percent(value) {
  return value === null ? "n/a" : `${Math.round(value * 100)}%`;
}

/** A Redis client that fails at once instead of queueing or reconnecting, for probing and cleaning up. */
function connectRedis() {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  return redis;
}

/** The Redis server's pid when it answers and runs on this machine (for its CPU time), or null; false when down. */
async function probeRedis() {
  const redis = connectRedis();
  try {
    await redis.connect();
    const info = await redis.info("server");
    const pid = Number(info.match(/^process_id:(\d+)/m)?.[1]);
    return { pid: Number.isInteger(pid) && cpuSecondsOf(pid) !== null ? pid : null };
  } catch (error) {
    const message = `no Redis at ${REDIS_URL} (${error.message}); set BENCH_REDIS_URL or start redis-server`;
    if (process.env.CI === "true") throw new Error(`CI=true requires the Redis benchmark: ${message}`);
    console.warn(`\n*** SKIPPING the Redis half of verify-with-limits: ${message} ***\n`);
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` (this run's counters and balances). */
async function cleanRedis(prefix) {
  const redis = connectRedis();
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

async function verifyOnce(server, key) {
  const res = await postJson(`${server.url}/v1/keys/verify`, { key, scopes: [SCOPE] }, server.rootToken);
  const body = JSON.parse(res.text);
  if (res.status !== 200 || body.valid !== true) {
    throw new Error(`POST /v1/keys/verify answered ${res.status}: ${res.text}`);
  }
  return body;
}

/** Creates the plain and the limited key on `server`; returns the request of each for measureVerify. */
async function prepare(server) {
  const headers = { "content-type": "application/json", authorization: `Bearer ${server.rootToken}` };
  const request = async (extra, verifyBody) => {
    const created = await postJson(
      `${server.url}/v1/keys`,
      { name: "bench", scopes: [SCOPE], ...extra },
      server.rootToken,
    );
    if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}: ${created.text}`);
    const key = JSON.parse(created.text).key;
    const first = await verifyOnce(server, key);
    if (!verifyBody(JSON.stringify(first))) throw new Error(`unexpected answer: ${JSON.stringify(first)}`);
    return { key, headers, body: JSON.stringify({ key, scopes: [SCOPE] }), verifyBody };
  };
  // Substring checks: cheap enough not to slow the load generator, strict enough to catch a refusal.
  const plain = await request(
    {},
    (body) => body.includes('"code":"VALID"') && !body.includes('"rateLimits"'),
  );
  const limited = await request(
    LIMITS,
    (body) =>
      body.includes('"code":"VALID"') &&
      body.includes('"rateLimits"') &&
      body.includes('"quota"') &&
      !body.includes('"degraded"'),
  );
  return { plain, limited };
}

async function main() {
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.driverCpu);
  const redisProbe = await probeRedis();
  const prefix = `keyward-bench-${randomBytes(6).toString("hex")}:`;
  const backends = [];
  try {
    // An empty KEYWARD_REDIS_URL overrides one inherited from this shell: this server must stay in-process.
    const memory = await startKeyward(pinning.serverCpu, { env: { KEYWARD_REDIS_URL: "" } });
    backends.push({ name: "memory", server: memory });
    if (redisProbe !== false) {
      const env = { KEYWARD_REDIS_URL: REDIS_URL, KEYWARD_REDIS_PREFIX: prefix };
      backends.push({ name: "redis", server: await startKeyward(pinning.serverCpu, { env }) });
    }
    const settings = {
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
    };
    console.log(
      `verify-with-limits: ${CONNECTIONS} connections, pipelining 1, warm-up ${WARMUP_SECONDS} s + ${DURATION_SECONDS} s per run, ` +
        `plain/limited/limited/plain per backend (${backends.map((b) => b.name).join(", ")}); ` +
        (pinning.enabled
          ? `autocannon pinned to CPU ${pinning.driverCpu}, servers to CPU ${pinning.serverCpu}, Redis unpinned`
          : `no CPU pinning (${pinning.cpus} CPUs shared)`),
    );
    const runs = [];
    let quotaCharged = true;
    for (const backend of backends) {
      const { server } = backend;
      const requests = await prepare(server);
      const target = { name: backend.name, url: server.url, pid: server.pid };
      for (const kind of ["plain", "limited", "limited", "plain"]) {
        process.stdout.write(`  measuring ${backend.name} ${kind} ... `);
        const before =
          kind === "limited" ? (await verifyOnce(server, requests.limited.key)).quota.remaining : 0;
        const redisCpuStart =
          backend.name === "redis" && redisProbe.pid !== null ? cpuSecondsOf(redisProbe.pid) : null;
        const run = await measureVerify(target, requests[kind], settings);
        const redisCpuEnd = redisCpuStart === null ? null : cpuSecondsOf(redisProbe.pid);
        run.backend = backend.name;
        run.kind = kind;
        run.redisCpu = redisCpuEnd === null ? null : (redisCpuEnd - redisCpuStart) / run.elapsedSeconds;
        // What one verification costs the machine: the server's CPU plus, for the Redis backend, Redis's.
        const costCpu = run.serverCpu === null ? null : run.serverCpu + (run.redisCpu ?? 0);
        run.requestsPerCostSecond = costCpu === null ? null : run.requestsPerSecond / costCpu;
        // Everything else on the machine: the measured otherCpu counts Redis, which is part of the work here.
        run.noiseCpu = run.otherCpu === null ? null : Math.max(0, run.otherCpu - (run.redisCpu ?? 0));
        if (kind === "limited") {
          // The quota must have been charged once per answered request (requests still in flight when the
          // run stopped were charged but not counted, hence at least).
          const after = (await verifyOnce(server, requests.limited.key)).quota.remaining;
          run.quotaSpent = before - after - 1;
          if (run.quotaSpent < run.requests + run.warmupRequests) quotaCharged = false;
        }
        runs.push(run);
        console.log(
          `${count(run.requestsPerSecond)} req/s${run.valid ? "" : ` INVALID ${JSON.stringify(run.problems)}`}`,
        );
      }
    }

    const valid = runs.every((r) => r.valid) && quotaCharged;
    const results = backends.map(({ name }) => {
      const own = (kind) => runs.filter((r) => r.backend === name && r.kind === kind);
      const meanOf = (kind, field) => mean(own(kind).map((r) => r[field] ?? Number.NaN));
      const throughputRatio = meanOf("limited", "requestsPerSecond") / meanOf("plain", "requestsPerSecond");
      const cpuNormalizedRatio =
        meanOf("limited", "requestsPerCostSecond") / meanOf("plain", "requestsPerCostSecond");
      const noisy = [...own("plain"), ...own("limited")].some(
        (r) => r.noiseCpu !== null && r.noiseCpu > NOISE_LIMIT,
      );
      // On a busy machine raw req/s measures the neighbours; CPU per request is disturbed much less.
      const value = noisy ? cpuNormalizedRatio : throughputRatio;
      return {
        backend: name,
        plainRps: meanOf("plain", "requestsPerSecond"),
        limitedRps: meanOf("limited", "requestsPerSecond"),
        plainP99: meanOf("plain", "p99Ms"),
        limitedP99: meanOf("limited", "p99Ms"),
        throughputRatio,
        cpuNormalizedRatio,
        noisy,
        value,
        target: TARGETS[name],
        pass: value >= TARGETS[name],
      };
    });

    console.log();
    console.log(
      table([
        [
          "run",
          "req/s",
          "req/CPU-s",
          "p50 ms",
          "p99 ms",
          "server CPU",
          "Redis CPU",
          "autocannon CPU",
          "other CPU",
          "quota spent",
          "non-2xx/err/mismatch",
        ],
        ...runs.map((r, i) => [
          `${i + 1}. ${r.backend} ${r.kind}`,
          count(r.requestsPerSecond),
          r.requestsPerCostSecond === null ? "n/a" : count(r.requestsPerCostSecond),
          r.p50Ms.toFixed(2),
          r.p99Ms.toFixed(2),
          percent(r.serverCpu),
          percent(r.redisCpu),
          percent(r.driverCpu),
          `${percent(r.noiseCpu)}${r.noiseCpu !== null && r.noiseCpu > NOISE_LIMIT ? " !" : ""}`,
          r.quotaSpent === undefined ? "" : count(r.quotaSpent),
          `${r.problems.non2xx}/${r.problems.errors + r.problems.timeouts}/${r.problems.mismatches}`,
        ]),
      ]),
    );
    console.log(
      'req/CPU-s = requests per second of server CPU time (plus Redis CPU time for the Redis backend); "other CPU" = ' +
        'CPU used by everything else on the machine (1 core = 100%); "quota spent" = units the quota lost during ' +
        "the run, warm-up included.",
    );
    if (!quotaCharged) console.log("INVALID: a limited run spent less quota than it made requests.");
    if (!valid)
      console.log("INVALID: some responses were errors or refusals; the numbers above mean nothing.");
    console.log();
    const mark = (pass) => (valid ? verdict(pass) : "INVALID");
    for (const r of results) {
      console.log(
        `${r.backend.padEnd(6)} limited/plain = ${ratio(r.throughputRatio)} raw, ${ratio(r.cpuNormalizedRatio)} per CPU-second ` +
          `(${count(r.limitedRps)} / ${count(r.plainRps)} req/s; p99 ${r.limitedP99.toFixed(2)} / ${r.plainP99.toFixed(2)} ms)  ` +
          `target >= ${r.target.toFixed(2)}  ${mark(r.pass)}${r.noisy ? " (CPU-normalized, machine busy)" : ""}`,
      );
    }
    if (results.some((r) => r.noisy)) {
      console.log(
        `NOISY: other processes used more than ${NOISE_LIMIT * 100}% of a core during some runs (marked !); ` +
          "the verdict uses the CPU-normalized ratio. Rerun on a quiet machine.",
      );
    }

    const path = writeResult("verify-with-limits", {
      machine: describeMachine(),
      settings: { ...settings, pipelining: 1, pinning, redis: redisProbe === false ? null : REDIS_URL },
      runs,
      results,
      valid,
      targets: results.map((r) => ({
        name: `verify with a rate limit and a quota, ${r.backend} backend >= ${r.target * 100}% of plain verify`,
        value: r.value,
        pass: valid && r.pass,
        note: r.noisy
          ? "machine busy: CPU-normalized ratio"
          : `${count(r.limitedRps)} / ${count(r.plainRps)} req/s`,
      })),
      ...(redisProbe === false ? { skipped: [`redis: no Redis at ${REDIS_URL}`] } : {}),
    });
    console.log(`results: ${path}`);
    if (!valid) process.exitCode = 1;
  } finally {
    for (const backend of backends) await backend.server.stop();
    if (redisProbe !== false) await cleanRedis(prefix);
  }
}

await main();
