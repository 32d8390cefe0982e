// What do usage analytics and the anomaly detectors cost a verification together? POST /v1/keys/verify
// throughput of two built Keyward servers in the same run: one with usage analytics and the traffic anomaly
// detectors on (KEYWARD_ANALYTICS_ENABLED=true, KEYWARD_ANOMALY_DETECTION_ENABLED=true, the defaults), one with
// both off, in rounds of on -> off -> off -> on, each run with a warm-up, 50 connections, pipelining 1, cycling
// over KEYS distinct keys, each verified from ADDRESSES client addresses (`ip`) spread over two /24 networks per
// key, so the spike detector sees every key and the new-source detector every (key, address) pair. Every answer
// must be VALID, and steady traffic like this must raise no alert on the "on" server (its first uses of each
// network are no anomaly); anything else marks the run INVALID. Prints the ratio on/off against the target.
//
// Env:
//   BENCH_DURATION     measured seconds per run (default 10)
//   BENCH_WARMUP       warm-up seconds before each run (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_DETECTOR_KEYS  distinct keys verified (default 200)
//   BENCH_DETECTOR_ADDRESSES  client addresses per key (default 4)
//   BENCH_DETECTOR_ROUNDS  rounds of on -> off -> off -> on (default 2)
//   BENCH_PIN=0        no CPU pinning (default: autocannon on CPU 0, the servers under test on CPU 1)

import { postJson, startKeyward } from "./lib/keyward.mjs";
import { measureVerify } from "./lib/measure-verify.mjs";
import { pinThisProcess, planPinning } from "./lib/processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./lib/report.mjs";

const TARGET = 0.9;
const DURATION_SECONDS = envNumber("BENCH_DURATION", 10);
const WARMUP_SECONDS = envNumber("BENCH_WARMUP", 3);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 50);
const KEYS = envNumber("BENCH_DETECTOR_KEYS", 200);
const ADDRESSES = envNumber("BENCH_DETECTOR_ADDRESSES", 4);
const ROUNDS = envNumber("BENCH_DETECTOR_ROUNDS", 2);

/** A run during which other processes used more than this share of a core is flagged as noisy. */
const NOISE_LIMIT = 0.25;

const SETTINGS = {
  on: { KEYWARD_ANALYTICS_ENABLED: "true", KEYWARD_ANOMALY_DETECTION_ENABLED: "true" },
  off: { KEYWARD_ANALYTICS_ENABLED: "false", KEYWARD_ANOMALY_DETECTION_ENABLED: "false" },
};

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function percent(value) {
  return value === null ? "n/a" : `${Math.round(value * 100)}%`;
}

/** Client address `a` of key `i`: two /24 networks per key, the addresses alternating between them. */
function address(i, a) {
  return `10.${i % 250}.${2 * Math.floor(i / 250) + (a % 2)}.${1 + Math.floor(a / 2)}`;
}

/** Creates KEYS keys on `server`; returns the request cycling over them (and their addresses) for measureVerify. */
async function prepare(server) {
  const bodies = [];
  for (let i = 0; i < KEYS; i += 1) {
    const created = await postJson(`${server.url}/v1/keys`, { name: `bench ${i}` }, server.rootToken);
    if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}: ${created.text}`);
    const key = JSON.parse(created.text).key;
    for (let a = 0; a < ADDRESSES; a += 1) bodies.push(JSON.stringify({ key, ip: address(i, a) }));
  }
  const headers = { "content-type": "application/json", authorization: `Bearer ${server.rootToken}` };
  // A substring check: cheap enough not to slow the load generator, strict enough to catch a refusal.
  return { headers, bodies, verifyBody: (body) => body.includes('"code":"VALID"') };
}

/** Every alert the server raised. */
async function alertsOf(server) {
  const response = await fetch(`${server.url}/v1/alerts?limit=100`, {
    headers: { authorization: `Bearer ${server.rootToken}` },
  });
  const body = await response.json();
  if (response.status !== 200)
    throw new Error(`GET /v1/alerts answered ${response.status}: ${JSON.stringify(body)}`);
  return body.items;
}

async function main() {
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.driverCpu);
  const servers = {};
  try {
    // An empty KEYWARD_REDIS_URL overrides one inherited from this shell: both servers stay in-process.
    for (const kind of ["on", "off"]) {
      servers[kind] = await startKeyward(pinning.serverCpu, {
        env: { KEYWARD_REDIS_URL: "", ...SETTINGS[kind] },
      });
    }
    const settings = {
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
    };
    console.log(
      `verify-detectors: ${CONNECTIONS} connections, pipelining 1, ${KEYS} keys × ${ADDRESSES} client addresses, ` +
        `warm-up ${WARMUP_SECONDS} s + ${DURATION_SECONDS} s per run, ${ROUNDS} × analytics+detectors ` +
        "on/off/off/on; " +
        (pinning.enabled
          ? `autocannon pinned to CPU ${pinning.driverCpu}, servers to CPU ${pinning.serverCpu}`
          : `no CPU pinning (${pinning.cpus} CPUs shared)`),
    );
    const requests = { on: await prepare(servers.on), off: await prepare(servers.off) };
    const runs = [];
    const order = Array.from({ length: ROUNDS }, () => ["on", "off", "off", "on"]).flat();
    for (const kind of order) {
      process.stdout.write(`  measuring analytics+detectors ${kind} ... `);
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
    // The flush interval is 1 s: after 2.5 s every new-source pair is in the store and judged.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const alerts = await alertsOf(servers.on);
    const quiet = alerts.length === 0;

    const valid = runs.every((r) => r.valid) && quiet;
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
          `${i + 1}. analytics+detectors ${r.kind}`,
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
    console.log(`alerts raised by the "on" server on steady traffic: ${alerts.length} (expected 0)`);
    if (!quiet) console.log(`INVALID: steady traffic raised alerts: ${JSON.stringify(alerts.slice(0, 3))}`);
    if (!valid)
      console.log(
        "INVALID: some responses were errors or refusals, or alerts were raised; the numbers mean nothing.",
      );
    console.log();
    console.log(
      `analytics+detectors on/off = ${ratio(throughputRatio)} raw, ${ratio(cpuNormalizedRatio)} per CPU-second ` +
        `(${count(meanOf("on", "requestsPerSecond"))} / ${count(meanOf("off", "requestsPerSecond"))} req/s; ` +
        `p99 ${meanOf("on", "p99Ms").toFixed(2)} / ${meanOf("off", "p99Ms").toFixed(2)} ms)  target >= ${TARGET.toFixed(2)}  ` +
        `${valid ? verdict(pass) : "INVALID"}${noisy ? " (CPU-normalized, machine busy)" : ""}`,
    );

    const path = writeResult("verify-detectors", {
      machine: describeMachine(),
      settings: { ...settings, pipelining: 1, keys: KEYS, addresses: ADDRESSES, rounds: ROUNDS, pinning },
      runs,
      alerts: alerts.length,
      throughputRatio,
      cpuNormalizedRatio,
      noisy,
      valid,
      targets: [
        {
          name: `verify with analytics and detectors on >= ${TARGET * 100}% of both off`,
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
