// The harness of the "what does feature X cost a verification?" benchmarks: POST /v1/keys/verify throughput of
// two built Keyward servers in the same run, one with the feature on and one with it off, in rounds of
// on -> off -> off -> on (so drift over time hits both alike), each run with a warm-up and cycling over distinct
// keys. Prints a table of runs, the ratio on/off against a target and a verdict, and writes the result file. The
// benchmark supplies what differs: the servers' settings, the request bodies, a validity check after the runs
// and its labels.
//
// Env (shared by every benchmark using this harness):
//   BENCH_DURATION     measured seconds per run (default 10)
//   BENCH_WARMUP       warm-up seconds before each run (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_PROFILE=1    write .cpuprofile files of both servers to bench/.results/profiles/ when the benchmark
//                      names a profile (slower; for analysis)
//   BENCH_PIN=0        no CPU pinning (default: autocannon on CPU 0, the servers under test on CPU 1)

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { postJson, startKeyward } from "./keyward.mjs";
import { measureVerify } from "./measure-verify.mjs";
import { pinThisProcess, planPinning, RESULTS_DIR } from "./processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./report.mjs";

const PROFILE_DIR = join(RESULTS_DIR, "profiles");

/** A run during which other processes used more than this share of a core is flagged as noisy. */
const NOISE_LIMIT = 0.25;

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function percent(value) {
  return value === null ? "n/a" : `${Math.round(value * 100)}%`;
}

/** Node flags for a server child: a CPU profile written on exit when BENCH_PROFILE=1 and the bench names one. */
function nodeFlags(profileName, kind) {
  if (profileName === undefined || process.env.BENCH_PROFILE !== "1") return [];
  mkdirSync(PROFILE_DIR, { recursive: true });
  return [
    "--cpu-prof",
    `--cpu-prof-dir=${PROFILE_DIR}`,
    `--cpu-prof-name=${profileName}-${kind}-${Date.now()}.cpuprofile`,
  ];
}

/** Creates `keys` keys on `server`; returns the request cycling over `bodiesOf(key, i)` of each for measureVerify. */
async function prepare(server, keys, bodiesOf) {
  const bodies = [];
  for (let i = 0; i < keys; i += 1) {
    const created = await postJson(`${server.url}/v1/keys`, { name: `bench ${i}` }, server.rootToken);
    if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}: ${created.text}`);
    bodies.push(...bodiesOf(JSON.parse(created.text).key, i));
  }
  const headers = { "content-type": "application/json", authorization: `Bearer ${server.rootToken}` };
  // A substring check: cheap enough not to slow the load generator, strict enough to catch a refusal.
  return { headers, bodies, verifyBody: (body) => body.includes('"code":"VALID"') };
}

/**
 * Runs the on/off comparison and reports it; sets a failing exit code when the run is INVALID.
 * - `name`: the result file (bench/.results/<name>.json) and the first word printed.
 * - `label`: what is switched, in the progress lines, the table and the ratio line ("analytics").
 * - `env`: `{ on, off }`, the server environment of each side.
 * - `keys`, `bodiesOf(key, i)`: how many keys each server gets and the verify bodies sent for each.
 * - `load`: the keys and bodies in words for the first line ("200 keys").
 * - `rounds`: rounds of on -> off -> off -> on.
 * - `profileName`: prefix of the .cpuprofile files under BENCH_PROFILE=1; none without it.
 * - `check({ servers, runs })`: after the runs; returns `{ holds, lines, result }`: whether the servers' state is
 *   as the runs should have left it, lines printed under the table, fields added to the result file.
 * - `checkFailure`: what a failed check means, in the INVALID line ("counts are wrong").
 * - `settings`: fields added to the result file's settings.
 * - `target`: `{ ratio, name }`, the minimum on/off ratio and its name in the result file.
 */
export async function compareOnOff({
  name,
  label,
  env,
  keys,
  bodiesOf,
  load,
  rounds,
  profileName,
  check,
  checkFailure,
  settings: extraSettings,
  target,
}) {
  const settings = {
    connections: envNumber("BENCH_CONNECTIONS", 50),
    durationSeconds: envNumber("BENCH_DURATION", 10),
    warmupSeconds: envNumber("BENCH_WARMUP", 3),
  };
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.driverCpu);
  const servers = {};
  try {
    for (const kind of ["on", "off"]) {
      // An empty KEYWARD_REDIS_URL overrides one inherited from this shell: both servers stay in-process.
      servers[kind] = await startKeyward(pinning.serverCpu, {
        env: { KEYWARD_REDIS_URL: "", ...env[kind] },
        nodeFlags: nodeFlags(profileName, kind),
      });
    }
    console.log(
      `${name}: ${settings.connections} connections, pipelining 1, ${load}, warm-up ${settings.warmupSeconds} s + ` +
        `${settings.durationSeconds} s per run, ${rounds} × ${label} on/off/off/on; ` +
        (pinning.enabled
          ? `autocannon pinned to CPU ${pinning.driverCpu}, servers to CPU ${pinning.serverCpu}`
          : `no CPU pinning (${pinning.cpus} CPUs shared)`),
    );
    const requests = {
      on: await prepare(servers.on, keys, bodiesOf),
      off: await prepare(servers.off, keys, bodiesOf),
    };
    const runs = [];
    const order = Array.from({ length: rounds }, () => ["on", "off", "off", "on"]).flat();
    for (const kind of order) {
      process.stdout.write(`  measuring ${label} ${kind} ... `);
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
    const checked = await check({ servers, runs });

    const valid = runs.every((r) => r.valid) && checked.holds;
    const own = (kind) => runs.filter((r) => r.kind === kind);
    const meanOf = (kind, field) => mean(own(kind).map((r) => r[field] ?? Number.NaN));
    const throughputRatio = meanOf("on", "requestsPerSecond") / meanOf("off", "requestsPerSecond");
    const cpuNormalizedRatio = meanOf("on", "requestsPerCpuSecond") / meanOf("off", "requestsPerCpuSecond");
    const noisy = runs.some((r) => r.otherCpu !== null && r.otherCpu > NOISE_LIMIT);
    // On a busy machine raw req/s measures the neighbours; CPU per request is disturbed much less.
    const value = noisy ? cpuNormalizedRatio : throughputRatio;
    const pass = value >= target.ratio;

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
          `${i + 1}. ${label} ${r.kind}`,
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
    for (const line of checked.lines) console.log(line);
    if (!valid)
      console.log(
        `INVALID: some responses were errors or refusals, or ${checkFailure}; the numbers mean nothing.`,
      );
    console.log();
    console.log(
      `${label} on/off = ${ratio(throughputRatio)} raw, ${ratio(cpuNormalizedRatio)} per CPU-second ` +
        `(${count(meanOf("on", "requestsPerSecond"))} / ${count(meanOf("off", "requestsPerSecond"))} req/s; ` +
        `p99 ${meanOf("on", "p99Ms").toFixed(2)} / ${meanOf("off", "p99Ms").toFixed(2)} ms)  ` +
        `target >= ${target.ratio.toFixed(2)}  ` +
        `${valid ? verdict(pass) : "INVALID"}${noisy ? " (CPU-normalized, machine busy)" : ""}`,
    );

    const path = writeResult(name, {
      machine: describeMachine(),
      settings: { ...settings, pipelining: 1, ...extraSettings, rounds, pinning },
      runs,
      ...checked.result,
      throughputRatio,
      cpuNormalizedRatio,
      noisy,
      valid,
      targets: [
        {
          name: target.name,
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
