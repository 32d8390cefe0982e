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
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHistogram } from "node:perf_hooks";
import autocannon from "autocannon";
import {
  cpuSecondsOf,
  cpuStatDelta,
  freePort,
  pinThisProcess,
  planPinning,
  RESULTS_DIR,
  ROOT,
  readCpuStat,
  spawnNode,
  waitForHttp,
} from "./lib/processes.mjs";
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

const CLI_BIN = join(ROOT, "packages/server/bin/keyward.js");
const CLI_MAIN = join(ROOT, "packages/server/dist/cli/main.js");
const FALLBACK_LAUNCHER = join(ROOT, "bench/keyward-server.mjs");
const ROOT_TOKEN_PATTERN = /\bkwr_[0-9A-Za-z]{28,92}\b/;

/** The environment for a server child, without inherited NODE_OPTIONS. */
function childEnv(extra) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

const profileNames = {};

/** Node flags for a server child: a CPU profile written on exit when BENCH_PROFILE=1 (not allowed in NODE_OPTIONS). */
function nodeFlags(name) {
  if (!PROFILE) return [];
  mkdirSync(PROFILE_DIR, { recursive: true });
  profileNames[name] = `${name}-${Date.now()}.cpuprofile`;
  return ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileNames[name]}`];
}

/**
 * Starts the built Keyward server on a fresh data directory: `keyward init --json` then `keyward serve` when the
 * CLI is built, otherwise bench/keyward-server.mjs (the same startServer composition from dist). Returns the
 * process handle, its URL, the root token and which launcher ran.
 */
async function startKeyward(cpu) {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-bench-"));
  const port = await freePort();
  const env = childEnv({
    KEYWARD_DATA_DIR: dataDir,
    KEYWARD_PORT: String(port),
    KEYWARD_HOST: "127.0.0.1",
    KEYWARD_LOG_LEVEL: "warn",
  });
  let rootToken = null;
  let args = [FALLBACK_LAUNCHER];
  let launcher = "bench/keyward-server.mjs (startServer from packages/server/dist; CLI not built)";
  if (process.env.BENCH_SERVER_DIST) {
    launcher = `bench/keyward-server.mjs with BENCH_SERVER_DIST=${process.env.BENCH_SERVER_DIST}`;
  } else if (existsSync(CLI_BIN) && existsSync(CLI_MAIN)) {
    try {
      const out = execFileSync(process.execPath, [CLI_BIN, "init", "--json"], { env, cwd: ROOT });
      rootToken = out.toString("utf8").match(ROOT_TOKEN_PATTERN)?.[0] ?? null;
    } catch (error) {
      process.stderr.write(
        `keyward init --json failed; reading the root token from serve instead: ${error}\n`,
      );
    }
    args = [CLI_BIN, "serve"];
    launcher = "packages/server/bin/keyward.js serve";
  }
  const server = spawnNode({ args: [...nodeFlags("keyward"), ...args], env, cpu, label: "keyward" });
  const url = `http://127.0.0.1:${port}`;
  try {
    const exitedEarly = server.exit.then((status) => {
      throw new Error(`keyward exited (${JSON.stringify(status)}) before it was ready:\n${server.output()}`);
    });
    await Promise.race([waitForHttp(`${url}/healthz`), exitedEarly]);
    rootToken ??= await server.waitForOutput((text) => text.match(ROOT_TOKEN_PATTERN)?.[0], 5_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    name: "keyward",
    server,
    pid: server.pid,
    url,
    rootToken,
    launcher,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
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

async function postJson(url, body, token) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text: await response.text(),
  };
}

/** One warm-up plus one measured autocannon run; latency from our own microsecond histogram. */
async function measure(target, request) {
  const latencyUs = createHistogram();
  let serverCpuStart = null;
  let driverCpuStart = null;
  let systemStart = null;
  let startedAt = 0;
  let responses2xx = 0;
  const instance = autocannon({
    url: `${target.url}/v1/keys/verify`,
    method: "POST",
    headers: request.headers,
    body: request.body,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: DURATION_SECONDS,
    expectBody: request.expectBody,
    ...(WARMUP_SECONDS > 0 ? { warmup: { duration: WARMUP_SECONDS } } : {}),
  });
  instance.on("start", () => {
    serverCpuStart = cpuSecondsOf(target.pid);
    driverCpuStart = process.cpuUsage();
    systemStart = readCpuStat();
    startedAt = performance.now();
  });
  instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) responses2xx += 1;
    latencyUs.record(Math.max(1, Math.round(responseTimeMs * 1000)));
  });
  const result = await instance;
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const serverCpuEnd = cpuSecondsOf(target.pid);
  const driverCpu = process.cpuUsage(driverCpuStart);
  const system = cpuStatDelta(systemStart, readCpuStat());
  const serverCpu =
    serverCpuStart === null || serverCpuEnd === null
      ? null
      : (serverCpuEnd - serverCpuStart) / elapsedSeconds;
  const driverCpuShare = (driverCpu.user + driverCpu.system) / 1e6 / elapsedSeconds;
  const systemBusy =
    system === null ? null : Object.values(system).reduce((a, c) => a + c.busy, 0) / elapsedSeconds;
  const warmup = result.warmup;
  const problems = {
    non2xx: result.non2xx + (warmup?.non2xx ?? 0),
    errors: result.errors + (warmup?.errors ?? 0),
    timeouts: result.timeouts + (warmup?.timeouts ?? 0),
    mismatches: result.mismatches + (warmup?.mismatches ?? 0),
  };
  return {
    target: target.name,
    requests: result.requests.total,
    warmupRequests: warmup?.requests.total ?? 0,
    ok: responses2xx - result.mismatches,
    requestsPerSecond: (responses2xx - result.mismatches) / elapsedSeconds,
    requestsPerCpuSecond:
      serverCpu === null ? null : (responses2xx - result.mismatches) / (serverCpu * elapsedSeconds),
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
    maxMs: latencyUs.max / 1000,
    serverCpu,
    driverCpu: driverCpuShare,
    // CPU used by everything else on the machine during the run (other processes, kernel work not charged to us).
    otherCpu:
      systemBusy === null || serverCpu === null ? null : Math.max(0, systemBusy - serverCpu - driverCpuShare),
    stealCpu:
      system === null ? null : Object.values(system).reduce((a, c) => a + c.steal, 0) / elapsedSeconds,
    elapsedSeconds,
    problems,
    valid: Object.values(problems).every((n) => n === 0) && responses2xx > 0,
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
  const keyward = await startKeyward(pinning.serverCpu);
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
      const run = await measure(target, request);
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
