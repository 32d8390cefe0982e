// Does webhook delivery slow verification? POST /v1/keys/verify throughput and latency of one Keyward server,
// measured idle -> while its delivery worker works through a backlog for two bad receivers -> idle again, in the
// same run. One receiver never answers (each request holds a slot until KEYWARD_WEBHOOK_TIMEOUT_MS), the other
// answers 500 at once (each delivery is retried with backoff). The backlog is made of key.updated events written
// just before the loaded run; the webhooks are disabled (no deliveries claimed) during the idle runs.
//
// Env:
//   BENCH_DURATION     measured seconds per run (default 10)
//   BENCH_WARMUP       warm-up seconds before each run (default 2)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_EVENTS       key updates written before the loaded run; each makes one delivery per receiver (default 1000)
//   BENCH_PIN=0        no CPU pinning (default: this process on CPU 0, the server on CPU 1)
import { createServer } from "node:http";
import { patchJson, postJson, startKeyward } from "./lib/keyward.mjs";
import { measureVerify } from "./lib/measure-verify.mjs";
import { pinThisProcess, planPinning } from "./lib/processes.mjs";
import { count, describeMachine, envNumber, ratio, table, verdict, writeResult } from "./lib/report.mjs";

const TARGETS = { throughputRatio: 0.85, p99Ratio: 2.0 };
const DURATION_SECONDS = envNumber("BENCH_DURATION", 10);
const WARMUP_SECONDS = envNumber("BENCH_WARMUP", 2);
const CONNECTIONS = envNumber("BENCH_CONNECTIONS", 50);
const EVENTS = envNumber("BENCH_EVENTS", 1000);
const SCOPE = "bench:read";

/** A loopback receiver: `hang` never answers, `fail` answers 500. Counts the requests it saw. */
async function startReceiver(behaviour) {
  const held = new Set();
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    req.resume();
    if (behaviour === "fail") {
      res.writeHead(500, { "content-type": "text/plain" }).end("receiver is down");
      return;
    }
    held.add(res);
    res.on("close", () => held.delete(res));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    requests: () => requests,
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function expectStatus(response, status, what) {
  if (response.status !== status) throw new Error(`${what} answered ${response.status}: ${response.text}`);
  return JSON.parse(response.text || "null");
}

async function main() {
  const pinning = planPinning();
  if (pinning.enabled) pinThisProcess(pinning.driverCpu);
  const hanging = await startReceiver("hang");
  const failing = await startReceiver("fail");
  const keyward = await startKeyward(pinning.serverCpu, { env: { KEYWARD_WEBHOOK_TIMEOUT_MS: "10000" } });
  try {
    const token = keyward.rootToken;
    const api = (path) => `${keyward.url}${path}`;
    const created = await expectStatus(
      await postJson(api("/v1/keys"), { name: "bench", scopes: [SCOPE] }, token),
      201,
      "POST /v1/keys",
    );
    const churn = await expectStatus(
      await postJson(api("/v1/keys"), { name: "churn" }, token),
      201,
      "POST /v1/keys",
    );
    const verifyBody = JSON.stringify({ key: created.key, scopes: [SCOPE] });
    const first = await postJson(api("/v1/keys/verify"), JSON.parse(verifyBody), token);
    if (first.status !== 200 || JSON.parse(first.text).valid !== true) {
      throw new Error(`POST /v1/keys/verify answered ${first.status}: ${first.text}`);
    }
    const webhooks = [];
    for (const receiver of [hanging, failing]) {
      const body = { url: receiver.url, events: ["*"], enabled: false };
      webhooks.push(
        await expectStatus(await postJson(api("/v1/webhooks"), body, token), 201, "POST /v1/webhooks"),
      );
    }
    const setEnabled = async (enabled) => {
      for (const webhook of webhooks) {
        await expectStatus(
          await patchJson(api(`/v1/webhooks/${webhook.id}`), { enabled }, token),
          200,
          "PATCH",
        );
      }
    };
    const request = {
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: verifyBody,
      expectBody: first.text,
    };
    const settings = {
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
    };
    console.log(
      `verify-during-webhooks: ${CONNECTIONS} connections, warm-up ${WARMUP_SECONDS} s + ${DURATION_SECONDS} s per run; ` +
        `backlog of ${EVENTS} events x 2 receivers (one hangs, one answers 500)`,
    );
    const runs = [];
    const run = async (label, target) => {
      process.stdout.write(`  measuring ${label} ... `);
      const before = { hanging: hanging.requests(), failing: failing.requests() };
      const result = await measureVerify(target, request, settings);
      result.target = label;
      result.receiverRequests = {
        hanging: hanging.requests() - before.hanging,
        failing: failing.requests() - before.failing,
      };
      runs.push(result);
      console.log(`${count(result.requestsPerSecond)} req/s${result.valid ? "" : " INVALID"}`);
    };
    const target = { name: "keyward", url: keyward.url, pid: keyward.pid };

    await run("idle", target);
    await setEnabled(true);
    for (let i = 0; i < EVENTS; i++) {
      await expectStatus(
        await patchJson(api(`/v1/keys/${churn.id}`), { meta: { i } }, token),
        200,
        "PATCH /v1/keys/{id}",
      );
    }
    await run("delivering", target);
    await setEnabled(false);
    await run("idle", target);

    const idle = runs.filter((r) => r.target === "idle");
    const loaded = runs.find((r) => r.target === "delivering");
    const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
    const idleRps = mean(idle.map((r) => r.requestsPerSecond));
    const idleP99 = mean(idle.map((r) => r.p99Ms));
    const throughputRatio = loaded.requestsPerSecond / idleRps;
    const p99Ratio = loaded.p99Ms / idleP99;
    const valid = runs.every((r) => r.valid);
    const workerBusy = loaded.receiverRequests.hanging + loaded.receiverRequests.failing > 0;

    console.log();
    console.log(
      table([
        ["run", "req/s", "p50 ms", "p99 ms", "server CPU", "webhook requests (hang/500)"],
        ...runs.map((r, i) => [
          `${i + 1}. ${r.target}`,
          count(r.requestsPerSecond),
          r.p50Ms.toFixed(2),
          r.p99Ms.toFixed(2),
          r.serverCpu === null ? "n/a" : `${Math.round(r.serverCpu * 100)}%`,
          `${r.receiverRequests.hanging}/${r.receiverRequests.failing}`,
        ]),
      ]),
    );
    if (!workerBusy) console.log("INVALID: the receivers saw no webhook request during the loaded run.");
    const mark = (pass) => (valid && workerBusy ? verdict(pass) : "INVALID");
    const throughputPass = throughputRatio >= TARGETS.throughputRatio;
    const p99Pass = p99Ratio <= TARGETS.p99Ratio;
    console.log(
      `throughput ratio delivering/idle = ${ratio(throughputRatio)}  (target >= ${TARGETS.throughputRatio})  ${mark(throughputPass)}`,
    );
    console.log(
      `p99 ratio        delivering/idle = ${ratio(p99Ratio)}  (target <= ${TARGETS.p99Ratio})  ${mark(p99Pass)}`,
    );
    const path = writeResult("verify-during-webhooks", {
      machine: describeMachine(),
      settings: { ...settings, events: EVENTS, pinning },
      runs,
      throughputRatio,
      p99Ratio,
      valid: valid && workerBusy,
      targets: [
        {
          name: "verify throughput while delivering >= 85% of idle",
          value: throughputRatio,
          pass: valid && workerBusy && throughputPass,
        },
        {
          name: "verify p99 while delivering <= 2x idle",
          value: p99Ratio,
          pass: valid && workerBusy && p99Pass,
        },
      ],
    });
    console.log(`results: ${path}`);
    if (!valid || !workerBusy) process.exitCode = 1;
  } finally {
    await keyward.stop();
    await hanging.close();
    await failing.close();
  }
}

await main();
