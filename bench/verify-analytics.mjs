// What does usage analytics cost a verification? POST /v1/keys/verify throughput of two built Keyward servers in
// the same run, one counting every outcome per key, code and minute (KEYWARD_ANALYTICS_ENABLED=true, the
// default) and one not (false), in rounds of on -> off -> off -> on, each run with a warm-up, 50 connections,
// pipelining 1, cycling over KEYS distinct keys (so the aggregator holds one entry per key, as in production).
// Every answer must be VALID, and the "on" server's usage report must count every request it answered (warm-ups
// included); anything else marks the run INVALID. Prints the ratio on/off against the target.
//
// Env:
//   BENCH_DURATION     measured seconds per run (default 10)
//   BENCH_WARMUP       warm-up seconds before each run (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_ANALYTICS_KEYS  distinct keys verified (default 200)
//   BENCH_ANALYTICS_ROUNDS  rounds of on -> off -> off -> on (default 2)
//   BENCH_PROFILE=1    write .cpuprofile files of both servers to bench/.results/profiles/ (slower; for analysis)
//   BENCH_PIN=0        no CPU pinning (default: autocannon on CPU 0, the servers under test on CPU 1)

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { postJson, startKeyward } from "./lib/keyward.mjs";
import { measureVerify } from "./lib/measure-verify.mjs";
import { pinThisProcess, planPinning, RESULTS_DIR } from "./lib/processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./lib/report.mjs";

const TARGET = 0.9;
const DURATION_SECONDS = envNumber("BENCH_DURATION", 10);
const WARMUP_SECONDS = envNumber("BENCH_WARMUP", 3);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 50);
const KEYS = envNumber("BENCH_ANALYTICS_KEYS", 200);
const ROUNDS = envNumber("BENCH_ANALYTICS_ROUNDS", 2);
const PROFILE = process.env.BENCH_PROFILE === "1";
const PROFILE_DIR = join(RESULTS_DIR, "profiles");

/** Node flags for a server child: a CPU profile written on exit when BENCH_PROFILE=1. */
function nodeFlags(name) {
  if (!PROFILE) return [];
  mkdirSync(PROFILE_DIR, { recursive: true });
  return [
    "--cpu-prof",
    `--cpu-prof-dir=${PROFILE_DIR}`,
    `--cpu-prof-name=analytics-${name}-${Date.now()}.cpuprofile`,
  ];
}

/** A run during which other processes used more than this share of a core is flagged as noisy. */
const NOISE_LIMIT = 0.25;

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function percent(value) {
  return value === null ? "n/a" : `${Math.round(value * 100)}%`;
}

/** Creates KEYS keys on `server`; returns the request cycling over them for measureVerify. */
async function prepare(server) {
  const bodies = [];
  for (let i = 0; i < KEYS; i += 1) {
    const created = await postJson(`${server.url}/v1/keys`, { name: `bench ${i}` }, server.rootToken);
    if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}: ${created.text}`);
    bodies.push(JSON.stringify({ key: JSON.parse(created.text).key }));
  }
  const headers = { "content-type": "application/json", authorization: `Bearer ${server.rootToken}` };
  // A substring check: cheap enough not to slow the load generator, strict enough to catch a refusal.
  return { headers, bodies, verifyBody: (body) => body.includes('"code":"VALID"') };
}

/** Every outcome the server's usage report counted, over every project (day buckets around now). */
async function countedVerifications(server) {
  const response = await fetch(
    `${server.url}/v1/usage?granularity=day&from=${new Date(Date.now() - 86_400_000).toISOString()}`,
    {
      headers: { authorization: `Bearer ${server.rootToken}` },
    },
  );
  const body = await response.json();
  if (response.status !== 200)
    throw new Error(`GET /v1/usage answered ${response.status}: ${JSON.stringify(body)}`);
  return body.total;
}

async function main() {
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.driverCpu);
  const servers = {};
  try {
    // An empty KEYWARD_REDIS_URL overrides one inherited from this shell: both servers stay in-process.
    servers.on = await startKeyward(pinning.serverCpu, {
      env: { KEYWARD_REDIS_URL: "", KEYWARD_ANALYTICS_ENABLED: "true" },
      nodeFlags: nodeFlags("on"),
    });
    servers.off = await startKeyward(pinning.serverCpu, {
      env: { KEYWARD_REDIS_URL: "", KEYWARD_ANALYTICS_ENABLED: "false" },
      nodeFlags: nodeFlags("off"),
    });
    const settings = {
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
    };
    console.log(
      `verify-analytics: ${CONNECTIONS} connections, pipelining 1, ${KEYS} keys, warm-up ${WARMUP_SECONDS} s + ` +
        `${DURATION_SECONDS} s per run, ${ROUNDS} × analytics on/off/off/on; ` +
        (pinning.enabled
          ? `autocannon pinned to CPU ${pinning.driverCpu}, servers to CPU ${pinning.serverCpu}`
          : `no CPU pinning (${pinning.cpus} CPUs shared)`),
    );
    const requests = { on: await prepare(servers.on), off: await prepare(servers.off) };
    const runs = [];
    const order = Array.from({ length: ROUNDS }, () => ["on", "off", "off", "on"]).flat();
    for (const kind of order) {
      process.stdout.write(`  measuring analytics ${kind} ... `);
      const server = servers[kind];
      const run = await measureVerify(
        { name: kind, url: server.url, pid: server.pid },
        requests[kind],
        settings,
      );
      run.kind = kind;
      runs.push(run);
      console.log(
        `${count(run.requestsPerSecond)} req/s${run.valid ? "" : ` INVALID ${JSON.stringify(run.problems)}`}`,
      );
    }
    // The flush interval is 1 s: after 2.5 s every answered verification must be in the store.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const answeredOn = runs
      .filter((r) => r.kind === "on")
      .reduce((sum, r) => sum + r.ok + r.warmupRequests, 0);
    const counted = await countedVerifications(servers.on);
    const countedOff = await countedVerifications(servers.off);
    // At least every answered request (requests still in flight when a run stopped were counted, not answered).
    const countsHold = counted >= answeredOn && countedOff === 0;

    const valid = runs.every((r) => r.valid) && countsHold;
    const own = (kind) => runs.filter((r) => r.kind === kind);
    const meanOf = (kind, field) => mean(own(kind).map((r) => r[field] ?? Number.NaN));
    const throughputRatio = meanOf("on", "requestsPerSecond") / meanOf("off", "requestsPerSecond");
    const cpuNormalizedRatio = meanOf("on", "requestsPerCpuSecond") / meanOf("off", "requestsPerCpuSecond");
    const noisy = runs.some((r) => r.otherCpu !== null && r.otherCpu > NOISE_LIMIT);
    // On a busy machine raw req/s measures the neighbours; CPU per request is disturbed much less.
    const value = noisy ? cpuNormalizedRatio : throughputRatio;
    const pass = value >= TARGET;

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
          "autocannon CPU",
          "other CPU",
          "non-2xx/err/mismatch",
        ],
        ...runs.map((r, i) => [
          `${i + 1}. analytics ${r.kind}`,
          count(r.requestsPerSecond),
          r.requestsPerCpuSecond === null ? "n/a" : count(r.requestsPerCpuSecond),
          r.p50Ms.toFixed(2),
          r.p99Ms.toFixed(2),
          percent(r.serverCpu),
          percent(r.driverCpu),
          `${percent(r.otherCpu)}${r.otherCpu !== null && r.otherCpu > NOISE_LIMIT ? " !" : ""}`,
          `${r.problems.non2xx}/${r.problems.errors + r.problems.timeouts}/${r.problems.mismatches}`,
        ]),
      ]),
    );
    console.log(
      `usage counted by the "on" server: ${count(counted)} (answered ${count(answeredOn)}); by "off": ${count(countedOff)}`,
    );
    if (!countsHold) console.log("INVALID: the usage report does not count every answered verification.");
    if (!valid)
      console.log(
        "INVALID: some responses were errors or refusals, or counts are wrong; the numbers mean nothing.",
      );
    console.log();
    console.log(
      `analytics on/off = ${ratio(throughputRatio)} raw, ${ratio(cpuNormalizedRatio)} per CPU-second ` +
        `(${count(meanOf("on", "requestsPerSecond"))} / ${count(meanOf("off", "requestsPerSecond"))} req/s; ` +
        `p99 ${meanOf("on", "p99Ms").toFixed(2)} / ${meanOf("off", "p99Ms").toFixed(2)} ms)  target >= ${TARGET.toFixed(2)}  ` +
        `${valid ? verdict(pass) : "INVALID"}${noisy ? " (CPU-normalized, machine busy)" : ""}`,
    );

    const path = writeResult("verify-analytics", {
      machine: describeMachine(),
      settings: { ...settings, pipelining: 1, keys: KEYS, rounds: ROUNDS, pinning },
      runs,
      counted,
      answeredOn,
      countedOff,
      throughputRatio,
      cpuNormalizedRatio,
      noisy,
      valid,
      targets: [
        {
          name: `verify with usage analytics on >= ${TARGET * 100}% of analytics off`,
          value,
          pass: valid && pass,
          note: noisy
            ? "machine busy: CPU-normalized ratio"
            : `${count(meanOf("on", "requestsPerSecond"))} / ${count(meanOf("off", "requestsPerSecond"))} req/s`,
        },
      ],
    });
    console.log(`results: ${path}`);
    if (!valid) process.exitCode = 1;
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
}

await main();
