// Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. `BENCH_PROFILE=1 npm run bench`): self time grouped by
// where the code lives (Keyward, each dependency, Node internals), the functions with the most self time, and
// the functions with the most inclusive time (self + callees). Shares are of busy (non-idle) time; with
// `--requests N` (the requests the process served while profiled) it also prints microseconds per request.
//
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [--top 25] [--requests N]
import { readFileSync } from "node:fs";
import { table } from "./lib/report.mjs";

const [file, ...rest] = process.argv.slice(2);
if (file === undefined) {
  console.error("usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--requests N]");
  process.exit(2);
}
function option(name, fallback) {
  const index = rest.indexOf(name);
  return index === -1 ? fallback : Number(rest[index + 1]);
}
const top = option("--top", 25);
const requests = option("--requests", null);

const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const isIdle = (id) => nodes.get(id).callFrame.functionName === "(idle)";
const busyUs = [...selfUs].filter(([id]) => !isIdle(id)).reduce((a, [, us]) => a + us, 0);
const idleUs = [...selfUs].filter(([id]) => isIdle(id)).reduce((a, [, us]) => a + us, 0);

/** Where a frame's code lives: a package name, Keyward itself, Node internals or a V8 pseudo-frame. */
function areaOf(url, functionName) {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node internals";
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (url.includes("/packages/server/")) return "keyward server";
  if (url.includes("/packages/core/")) return "@keyward/core";
  if (url.includes("/bench/")) return "bench";
  return url;
}

function frameName(id) {
  const { callFrame } = nodes.get(id);
  const name = callFrame.functionName || "(anonymous)";
  if (callFrame.url === "") return name;
  const url = callFrame.url
    .replace(/^file:\/\//, "")
    .replace(/^.*node_modules\//, "")
    .replace(/^.*\/packages\//, "packages/");
  return `${name}  ${url}:${callFrame.lineNumber + 1}`;
}

const byFunction = new Map();
const byArea = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  if (isIdle(id)) continue;
  const name = frameName(id);
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const { callFrame } = nodes.get(id);
  const area = areaOf(callFrame.url, callFrame.functionName);
  byArea.set(area, (byArea.get(area) ?? 0) + us);
  // Inclusive time: charge every distinct function on the stack once (recursion is not double counted).
  const seen = new Set();
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const frame = frameName(at);
    if (seen.has(frame)) continue;
    seen.add(frame);
    inclusive.set(frame, (inclusive.get(frame) ?? 0) + us);
  }
}

const share = (us) => `${((us / busyUs) * 100).toFixed(1)}%`;
const ms = (us) => (us / 1000).toFixed(0);
const perRequest = (us) => (requests ? (us / requests).toFixed(1) : "");
const header = (title) => [title, "ms", "share", ...(requests ? ["µs/req"] : [])];
const row = (name, us) => [name, ms(us), share(us), ...(requests ? [perRequest(us)] : [])];
const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);

console.log(`${file}: ${ms(busyUs)} ms busy, ${ms(idleUs)} ms idle; shares are of busy time`);
if (requests) console.log(`busy time per request: ${perRequest(busyUs)} µs over ${requests} requests`);
console.log();
console.log(
  table([
    header("self time by area"),
    ...sorted(byArea)
      .filter(([, us]) => us / busyUs >= 0.001)
      .map(([area, us]) => row(area, us)),
  ]),
);
console.log();
console.log(
  table([
    header(`top ${top} functions by self time`),
    ...sorted(byFunction)
      .slice(0, top)
      .map(([f, us]) => row(f, us)),
  ]),
);
console.log();
const skipInclusive =
  /^\((root|program|garbage collector)\)|^processTicksAndRejections|^runMicrotasks|^listOnTimeout/;
console.log(
  table([
    header(`top ${top} functions by inclusive time`),
    ...sorted(inclusive)
      .filter(([f]) => !skipInclusive.test(f))
      .slice(0, top)
      .map(([f, us]) => row(f, us)),
  ]),
);
