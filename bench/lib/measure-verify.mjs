// One autocannon measurement of POST /v1/keys/verify, with our own latency histogram and CPU accounting.
import { createHistogram } from "node:perf_hooks";
import autocannon from "autocannon";
import { cpuSecondsOf, cpuStatDelta, readCpuStat } from "./processes.mjs";

/**
 * One warm-up plus one measured autocannon run; latency from our own microsecond histogram.
 * `request.bodies` (instead of `body`) sends those bodies in turn across all connections, e.g. distinct keys;
 * `companionCpuSeconds()` reads the CPU seconds of a process the server depends on (a database), reported as
 * `companionCpu` over the measured run only.
 */
export async function measureVerify(
  target,
  request,
  { connections, durationSeconds, warmupSeconds, companionCpuSeconds = null },
) {
  const latencyUs = createHistogram();
  let serverCpuStart = null;
  let companionCpuStart = null;
  let driverCpuStart = null;
  let systemStart = null;
  let startedAt = 0;
  let responses2xx = 0;
  const instance = autocannon({
    url: `${target.url}/v1/keys/verify`,
    method: "POST",
    headers: request.headers,
    body: request.body,
    // One request rebuilt with the next body each time, shared by all connections: a list of prebuilt requests
    // would be built per connection (connections × bodies up front) and walked by every connection in lockstep.
    // Autocannon refuses expectBody with `requests`; use verifyBody.
    ...(request.bodies === undefined
      ? {}
      : { requests: [{ method: "POST", setupRequest: nextBody(request.bodies) }] }),
    connections,
    pipelining: 1,
    duration: durationSeconds,
    expectBody: request.expectBody,
    // For answers that change on every request (a rate limit's remaining): a predicate instead of one body.
    ...(request.verifyBody === undefined ? {} : { verifyBody: request.verifyBody }),
    ...(warmupSeconds > 0 ? { warmup: { duration: warmupSeconds } } : {}),
  });
  instance.on("start", () => {
    serverCpuStart = cpuSecondsOf(target.pid);
    companionCpuStart = companionCpuSeconds?.() ?? null;
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
  const companionCpuEnd = companionCpuStart === null ? null : companionCpuSeconds();
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
    companionCpu:
      companionCpuStart === null || companionCpuEnd === null
        ? null
        : (companionCpuEnd - companionCpuStart) / elapsedSeconds,
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

/** An autocannon setupRequest that gives each request the next of `bodies`, across all connections. */
function nextBody(bodies) {
  let next = 0;
  return (req) => {
    const body = bodies[next];
    next = (next + 1) % bodies.length;
    return { ...req, body };
  };
}
