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

import { compareOnOff } from "./lib/on-off-comparison.mjs";
import { count, envNumber } from "./lib/report.mjs";

const TARGET = 0.9;
const KEYS = envNumber("BENCH_ANALYTICS_KEYS", 200);
const ROUNDS = envNumber("BENCH_ANALYTICS_ROUNDS", 2);

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

/** The "on" server counted at least every request it answered, the "off" server none. */
async function checkCounts({ servers, runs }) {
  // The flush interval is 1 s: after 2.5 s every answered verification must be in the store.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const answeredOn = runs.filter((r) => r.kind === "on").reduce((sum, r) => sum + r.ok + r.warmupRequests, 0);
  const counted = await countedVerifications(servers.on);
  const countedOff = await countedVerifications(servers.off);
  // At least every answered request (requests still in flight when a run stopped were counted, not answered).
  const holds = counted >= answeredOn && countedOff === 0;
  return {
    holds,
    lines: [
      `usage counted by the "on" server: ${count(counted)} (answered ${count(answeredOn)}); by "off": ${count(countedOff)}`,
      ...(holds ? [] : ["INVALID: the usage report does not count every answered verification."]),
    ],
    result: { counted, answeredOn, countedOff },
  };
}

await compareOnOff({
  name: "verify-analytics",
  label: "analytics",
  env: { on: { KEYWARD_ANALYTICS_ENABLED: "true" }, off: { KEYWARD_ANALYTICS_ENABLED: "false" } },
  keys: KEYS,
  bodiesOf: (key) => [JSON.stringify({ key })],
  load: `${KEYS} keys`,
  rounds: ROUNDS,
  profileName: "analytics",
  check: checkCounts,
  checkFailure: "counts are wrong",
  settings: { keys: KEYS },
  target: { ratio: TARGET, name: `verify with usage analytics on >= ${TARGET * 100}% of analytics off` },
});
