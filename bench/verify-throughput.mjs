// POST /v1/keys/verify throughput and latency of the built Keyward server (cache hit), against a bare node:http
// server doing one SHA-256 and one Map lookup (bench/bare-server.mjs), measured in the same run:
// bare -> Keyward -> bare -> Keyward -> bare, each run with a warm-up, 50 connections, pipelining 1.
// Prints a table and the ratios.
//
// Env:
//   BENCH_DURATION     measured seconds per run (default 10)
//   BENCH_WARMUP       warm-up seconds before each run (default 3)
//   BENCH_ROUNDS       Keyward runs, each followed by a bare run (default 2)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_PIN=0        no CPU pinning (default: autocannon on CPU 0, the server under test on CPU 1)
//   BENCH_SERVER_DIST  another build of packages/server/dist to measure instead (A/B of a server change)
//   BENCH_PROFILE=1    write .cpuprofile files of both servers to bench/.results/profiles/ (slower; for the
//                      profile only, summarize with bench/profile-summary.mjs)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { childEnv, postJson, startKeyward } from "./lib/keyward.mjs";
import { measureVerify } from "./lib/measure-verify.mjs";
import { pinThisProcess, planPinning, RESULTS_DIR, ROOT, spawnNode } from "./lib/processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./lib/report.mjs";

const TARGETS = { throughputRatio: 0.6, p99Ratio: 3.0 };
const DURATION_SECONDS = envNumber("BENCH_DURATION", 10);
const WARMUP_SECONDS = envNumber("BENCH_WARMUP", 3);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 50);
const ROUNDS = Math.max(1, envNumber("BENCH_ROUNDS", 2));
/** A run during which other processes used more than this share of a core is flagged as noisy. */
const NOISE_LIMIT = 0.25;
const PROFILE = process.env.BENCH_PROFILE === "1";
const PROFILE_DIR = join(RESULTS_DIR, "profiles");
const SCOPE = "bench:read";

const profileNames = {};

/** Node flags for a server child: a CPU profile written on exit when BENCH_PROFILE=1 (not allowed in NODE_OPTIONS). */
function nodeFlags(name) {
  if (!PROFILE) return [];
  mkdirSync(PROFILE_DIR, { recursive: true });
  profileNames[name] = `${name}-${Date.now()}.cpuprofile`;
  return ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileNames[name]}`];
}

async function startBare(cpu, key, response) {
  const server = spawnNode({
    args: [...nodeFlags("bare"), join(ROOT, "bench/bare-server.mjs")],
    env: childEnv({ BENCH_PORT: "0", BENCH_KEY: key, BENCH_RESPONSE: response }),
    cpu,
    label: "bare",
  });
  const port = await server.waitForOutput((text) => text.match(/"port":(\d+)/)?.[1]);
  return {
    name: "bare",
    server,
    pid: server.pid,
    url: `http://127.0.0.1:${port}`,
    stop: () => server.stop(),
  };
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function percent(value) {
  return value === null ? "n/a" : `${Math.round(value * 100)}%`;
}

async function main() {
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.driverCpu);
  const setupStart = performance.now();
  const keyward = await startKeyward(pinning.serverCpu, { nodeFlags: nodeFlags("keyward") });
  let bare = null;
  try {
    const created = await postJson(
      `${keyward.url}/v1/keys`,
      { name: "bench", ownerId: "bench_owner", scopes: [SCOPE] },
      keyward.rootToken,
    );
    if (created.status !== 201) throw new Error(`POST /v1/keys answered ${created.status}: ${created.text}`);
    const key = JSON.parse(created.text).key;
    const verifyBody = JSON.stringify({ key, scopes: [SCOPE] });
    const first = await postJson(`${keyward.url}/v1/keys/verify`, JSON.parse(verifyBody), keyward.rootToken);
    const parsed = JSON.parse(first.text);
    if (first.status !== 200 || parsed.valid !== true || parsed.code !== "VALID") {
      throw new Error(`POST /v1/keys/verify answered ${first.status}: ${first.text}`);
    }

    bare = await startBare(pinning.serverCpu, key, first.text);
    const bareFirst = await postJson(`${bare.url}/v1/keys/verify`, JSON.parse(verifyBody), keyward.rootToken);
    if (
      bareFirst.status !== first.status ||
      bareFirst.text !== first.text ||
      bareFirst.contentType !== first.contentType
    ) {
      throw new Error(
        `The bare server's answer differs from Keyward's:\n${bareFirst.status} ${bareFirst.contentType} ${bareFirst.text}\n${first.status} ${first.contentType} ${first.text}`,
      );
    }
    const setupSeconds = (performance.now() - setupStart) / 1000;

    const request = {
      headers: { "content-type": "application/json", authorization: `Bearer ${keyward.rootToken}` },
      body: verifyBody,
      expectBody: first.text,
    };
    console.log(
      `verify-throughput: ${CONNECTIONS} connections, pipelining 1, warm-up ${WARMUP_SECONDS} s + ${DURATION_SECONDS} s per run, ` +
        `${ROUNDS} round(s) of bare/keyward/bare; ` +
        (pinning.enabled
          ? `autocannon pinned to CPU ${pinning.driverCpu}, servers to CPU ${pinning.serverCpu}`
          : `no CPU pinning (${pinning.cpus} CPUs shared by autocannon and the server)`) +
        (PROFILE ? "; PROFILING (numbers are not representative)" : ""),
    );
    console.log(
      `keyward launched via ${keyward.launcher}; response ${first.text.length} bytes, ${first.contentType}`,
    );
    const order = [bare];
    for (let round = 0; round < ROUNDS; round++) order.push(keyward, bare);
    const runs = [];
    for (const target of order) {
      process.stdout.write(`  measuring ${target.name} ... `);
      const run = await measureVerify(target, request, {
        connections: CONNECTIONS,
        durationSeconds: DURATION_SECONDS,
        warmupSeconds: WARMUP_SECONDS,
      });
      runs.push(run);
      console.log(
        `${count(run.requestsPerSecond)} req/s${run.valid ? "" : ` INVALID ${JSON.stringify(run.problems)}`}`,
      );
    }

    const aggregate = (target) => {
      const own = runs.filter((r) => r.target === target);
      return {
        runs: own.length,
        requestsPerSecond: mean(own.map((r) => r.requestsPerSecond)),
        requestsPerCpuSecond: mean(own.map((r) => r.requestsPerCpuSecond ?? Number.NaN)),
        p50Ms: mean(own.map((r) => r.p50Ms)),
        p99Ms: mean(own.map((r) => r.p99Ms)),
      };
    };
    const bareMean = aggregate("bare");
    const keywardMean = aggregate("keyward");
    const throughputRatio = keywardMean.requestsPerSecond / bareMean.requestsPerSecond;
    const cpuNormalizedRatio = keywardMean.requestsPerCpuSecond / bareMean.requestsPerCpuSecond;
    const p99Ratio = keywardMean.p99Ms / bareMean.p99Ms;
    const bareRuns = runs.filter((r) => r.target === "bare").map((r) => r.requestsPerSecond);
    const bareSpread = (Math.max(...bareRuns) - Math.min(...bareRuns)) / bareMean.requestsPerSecond;
    const valid = runs.every((r) => r.valid);
    const noisyRuns = runs.flatMap((r, i) =>
      r.otherCpu !== null && r.otherCpu > NOISE_LIMIT ? [i + 1] : [],
    );
    const noisy = noisyRuns.length > 0;

    console.log();
    const cells = (r) => [
      count(r.requestsPerSecond),
      Number.isNaN(r.requestsPerCpuSecond ?? Number.NaN) ? "n/a" : count(r.requestsPerCpuSecond),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
    ];
    console.log(
      table([
        [
          "run",
          "req/s",
          "req/CPU-s",
          "p50 ms",
          "p99 ms",
          "max ms",
          "server CPU",
          "autocannon CPU",
          "other CPU",
          "non-2xx/err/mismatch",
        ],
        ...runs.map((r, i) => [
          `${i + 1}. ${r.target}`,
          ...cells(r),
          r.maxMs.toFixed(1),
          percent(r.serverCpu),
          percent(r.driverCpu),
          `${percent(r.otherCpu)}${r.otherCpu !== null && r.otherCpu > NOISE_LIMIT ? " !" : ""}`,
          `${r.problems.non2xx}/${r.problems.errors + r.problems.timeouts}/${r.problems.mismatches}`,
        ]),
        [`bare (mean of ${bareMean.runs})`, ...cells(bareMean), "", "", "", "", ""],
        [`keyward (mean of ${keywardMean.runs})`, ...cells(keywardMean), "", "", "", "", ""],
      ]),
    );
    console.log(
      `req/CPU-s = requests per second of server CPU time; "other CPU" = CPU used by everything else on the machine ` +
        `(1 core = 100%). Spread of the bare runs: ${(bareSpread * 100).toFixed(1)}%.`,
    );
    if (noisy) {
      console.log(
        `NOISY: other processes used more than ${NOISE_LIMIT * 100}% of a core during run(s) ${noisyRuns.join(", ")}; ` +
          "raw req/s and p99 are unreliable, so the throughput verdict uses the CPU-normalized ratio. Rerun on a quiet machine.",
      );
    }
    console.log();
    const throughputPass = (noisy ? cpuNormalizedRatio : throughputRatio) >= TARGETS.throughputRatio;
    const p99Pass = p99Ratio <= TARGETS.p99Ratio;
    const mark = (pass) => (valid ? verdict(pass) : "INVALID");
    console.log(
      `throughput ratio keyward/bare = ${ratio(throughputRatio)} raw, ${ratio(cpuNormalizedRatio)} per CPU-second  ` +
        `(target >= ${TARGETS.throughputRatio.toFixed(2)})  ${mark(throughputPass)}${noisy ? " (CPU-normalized, machine busy)" : ""}`,
    );
    console.log(
      `p99 ratio        keyward/bare = ${ratio(p99Ratio)}  (target <= ${TARGETS.p99Ratio.toFixed(2)})  ${mark(p99Pass)}${noisy ? " (unreliable, machine busy)" : ""}`,
    );
    if (!valid)
      console.log("INVALID: some responses were errors or wrong bodies; the numbers above mean nothing.");

    const path = writeResult("verify-throughput", {
      machine: describeMachine(),
      settings: {
        connections: CONNECTIONS,
        pipelining: 1,
        warmupSeconds: WARMUP_SECONDS,
        durationSeconds: DURATION_SECONDS,
        rounds: ROUNDS,
        pinning,
        profiling: PROFILE,
        launcher: keyward.launcher,
        setupSeconds,
      },
      runs,
      bareMean,
      keywardMean,
      throughputRatio,
      cpuNormalizedRatio,
      p99Ratio,
      bareSpread,
      noisyRuns,
      valid,
      targets: [
        {
          name: "verify throughput >= 60% of bare (cache hit)",
          value: noisy ? cpuNormalizedRatio : throughputRatio,
          pass: valid && throughputPass,
          note: noisy ? "machine busy: CPU-normalized ratio" : "",
        },
        {
          name: "verify p99 <= 3x bare p99 (cache hit)",
          value: p99Ratio,
          pass: valid && p99Pass,
          note: noisy ? "machine busy: unreliable" : "",
        },
      ],
    });
    console.log(`results: ${path}`);
    if (PROFILE) {
      for (const name of ["keyward", "bare"]) {
        const served = runs
          .filter((r) => r.target === name)
          .reduce((a, r) => a + r.requests + r.warmupRequests, 0);
        console.log(
          `profile: node bench/profile-summary.mjs ${join(PROFILE_DIR, profileNames[name])} --requests ${served}`,
        );
      }
    }
    if (!valid) process.exitCode = 1;
  } finally {
    await bare?.stop();
    await keyward.stop();
  }
}

await main();
