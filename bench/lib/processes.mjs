// Child processes for the benchmarks: spawning (optionally pinned to a CPU), waiting for output or HTTP
// readiness, measuring their CPU time, and stopping them.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where benchmark results, cached databases and profiles go (gitignored). */
export const RESULTS_DIR = fileURLToPath(new URL("../.results/", import.meta.url));

const CLOCK_TICKS_PER_SECOND = 100;

function hasTaskset() {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU pinning plan: with taskset and at least two CPUs, the load generator (this process) runs on CPU 0 and the
 * server under test on CPU 1, so they do not steal each other's time slices. BENCH_PIN=0 turns it off.
 */
export function planPinning() {
  const cpus = availableParallelism();
  const enabled = process.env.BENCH_PIN !== "0" && cpus >= 2 && hasTaskset();
  return { enabled, cpus, driverCpu: enabled ? 0 : null, serverCpu: enabled ? 1 : null };
}

/** Pins every thread of this process to one CPU (threads created later inherit it). */
export function pinThisProcess(cpu) {
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(process.pid)], { stdio: "ignore" });
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node <args>` (under `taskset -c <cpu>` when `cpu` is a number) and collects its output.
 * Returns `{ child, pid, output(), waitForOutput(test, timeoutMs), stop() }`.
 */
export function spawnNode({ args, env, cpu = null, label }) {
  const command = cpu === null ? process.execPath : "taskset";
  const argv = cpu === null ? args : ["-c", String(cpu), process.execPath, ...args];
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const waiters = new Set();
  const onData = (chunk) => {
    text += chunk.toString("utf8");
    for (const waiter of waiters) waiter();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      for (const waiter of waiters) waiter();
      resolve(exited);
    });
  });

  return {
    child,
    pid: child.pid,
    output: () => text,
    exit,
    /** Resolves with `test(output)` once it is truthy; rejects on timeout or exit. */
    waitForOutput(test, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${label}: timed out after ${timeoutMs} ms; output:\n${text}`));
        }, timeoutMs);
        function check() {
          const value = test(text);
          if (value) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(value);
          } else if (exited !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(
              new Error(`${label}: exited (${JSON.stringify(exited)}) before it was ready; output:\n${text}`),
            );
          }
        }
        waiters.add(check);
        check();
      });
    },
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
    async stop(graceMs = 10_000) {
      if (exited !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const status = await exit;
      clearTimeout(timer);
      return status;
    },
  };
}

/** User + system CPU seconds a process has used so far (Linux /proc), or null where unavailable. */
export function cpuSecondsOf(pid) {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return null;
  const stat = readFileSync(path, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/**
 * A reader of the CPU seconds used since its first call by every process whose command name (`/proc/<pid>/comm`)
 * is `command`, e.g. all of PostgreSQL's processes; null where /proc is unavailable. Counted per process, so a
 * process that exits between two readings takes only its own time with it (a lower bound, never negative), and
 * one that started in between counts in full.
 */
export function commandCpuCounter(command) {
  let last = null;
  let total = 0;
  return () => {
    if (!existsSync("/proc/self/comm")) return null;
    const now = new Map();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === command)
          now.set(entry, cpuSecondsOf(entry) ?? 0);
      } catch {
        // The process exited while we read it.
      }
    }
    if (last !== null) {
      for (const [pid, seconds] of now) total += Math.max(0, seconds - (last.get(pid) ?? 0));
    }
    last = now;
    return total;
  };
}

/** Polls `url` until it answers 200. */
export async function waitForHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
      lastError = new Error(`status ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${lastError?.message}`);
}

/**
 * Per-CPU jiffies from /proc/stat: `{ cpu0: { busy, idle, steal }, ... }`, or null where unavailable. Busy counts
 * user, nice, system, irq and softirq; steal is time the hypervisor gave to someone else.
 */
export function readCpuStat() {
  if (!existsSync("/proc/stat")) return null;
  const result = {};
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const match = line.match(/^(cpu\d+) (.*)$/);
    if (match === null) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].split(" ").map(Number);
    result[match[1]] = { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
  }
  return result;
}

/** CPU seconds per CPU between two {@link readCpuStat} readings. */
export function cpuStatDelta(before, after) {
  if (before === null || after === null) return null;
  const delta = {};
  for (const [cpu, end] of Object.entries(after)) {
    const start = before[cpu];
    if (start === undefined) continue;
    delta[cpu] = {
      busy: (end.busy - start.busy) / CLOCK_TICKS_PER_SECOND,
      idle: (end.idle - start.idle) / CLOCK_TICKS_PER_SECOND,
      steal: (end.steal - start.steal) / CLOCK_TICKS_PER_SECOND,
    };
  }
  return delta;
}
