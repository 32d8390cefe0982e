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

import { compareOnOff } from "./lib/on-off-comparison.mjs";
import { envNumber } from "./lib/report.mjs";

const TARGET = 0.9;
const KEYS = envNumber("BENCH_DETECTOR_KEYS", 200);
const ADDRESSES = envNumber("BENCH_DETECTOR_ADDRESSES", 4);
const ROUNDS = envNumber("BENCH_DETECTOR_ROUNDS", 2);

/** Client address `a` of key `i`: two /24 networks per key, the addresses alternating between them. */
function address(i, a) {
  return `10.${i % 250}.${2 * Math.floor(i / 250) + (a % 2)}.${1 + Math.floor(a / 2)}`;
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

/** Steady traffic raised no alert on the "on" server. */
async function checkQuiet({ servers }) {
  // The flush interval is 1 s: after 2.5 s every new-source pair is in the store and judged.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const alerts = await alertsOf(servers.on);
  const holds = alerts.length === 0;
  return {
    holds,
    lines: [
      `alerts raised by the "on" server on steady traffic: ${alerts.length} (expected 0)`,
      ...(holds ? [] : [`INVALID: steady traffic raised alerts: ${JSON.stringify(alerts.slice(0, 3))}`]),
    ],
    result: { alerts: alerts.length },
  };
}

await compareOnOff({
  name: "verify-detectors",
  label: "analytics+detectors",
  env: {
    on: { KEYWARD_ANALYTICS_ENABLED: "true", KEYWARD_ANOMALY_DETECTION_ENABLED: "true" },
    off: { KEYWARD_ANALYTICS_ENABLED: "false", KEYWARD_ANOMALY_DETECTION_ENABLED: "false" },
  },
  keys: KEYS,
  bodiesOf: (key, i) =>
    Array.from({ length: ADDRESSES }, (_, a) => JSON.stringify({ key, ip: address(i, a) })),
  load: `${KEYS} keys × ${ADDRESSES} client addresses`,
  rounds: ROUNDS,
  check: checkQuiet,
  checkFailure: "alerts were raised",
  settings: { keys: KEYS, addresses: ADDRESSES },
  target: { ratio: TARGET, name: `verify with analytics and detectors on >= ${TARGET * 100}% of both off` },
});
