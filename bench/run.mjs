// `npm run bench`: runs every benchmark in its own process, then prints one summary with PASS/MISS per target.
// Benchmarks report, they do not gate: a MISS still exits 0. A benchmark that crashed or saw error responses
// (INVALID) exits 1, because its numbers mean nothing.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RESULTS_DIR, ROOT } from "./lib/processes.mjs";
import { table } from "./lib/report.mjs";

const BENCHMARKS = [
  { name: "verify-throughput", script: "bench/verify-throughput.mjs" },
  { name: "cache-miss", script: "bench/cache-miss.mjs" },
  { name: "verify-during-webhooks", script: "bench/verify-during-webhooks.mjs" },
  { name: "verify-with-limits", script: "bench/verify-with-limits.mjs" },
  { name: "verify-analytics", script: "bench/verify-analytics.mjs" },
  { name: "verify-detectors", script: "bench/verify-detectors.mjs" },
  { name: "verify-postgres", script: "bench/verify-postgres.mjs" },
];

const started = performance.now();
const summary = [];
let failed = false;
for (const bench of BENCHMARKS) {
  const resultPath = join(RESULTS_DIR, `${bench.name}.json`);
  rmSync(resultPath, { force: true });
  console.log(`\n=== ${bench.name} ===`);
  const status = spawnSync(process.execPath, [join(ROOT, bench.script)], { cwd: ROOT, stdio: "inherit" });
  let result = null;
  try {
    result = JSON.parse(readFileSync(resultPath, "utf8"));
  } catch {
    // No result file: the benchmark crashed before reporting.
  }
  if (status.status !== 0 || result === null) {
    failed = true;
    summary.push([bench.name, "did not complete", "", "FAILED", ""]);
    continue;
  }
  for (const target of result.targets) {
    const value =
      target.skipped === true
        ? ""
        : target.value >= 100
          ? Math.round(target.value).toLocaleString("en-US")
          : target.value.toFixed(2);
    summary.push([
      bench.name,
      target.name,
      value,
      !result.valid ? "INVALID" : target.skipped === true ? "SKIPPED" : target.pass ? "PASS" : "MISS",
      target.note ?? "",
    ]);
  }
}

console.log(`\n=== summary (${((performance.now() - started) / 1000).toFixed(0)} s) ===`);
console.log(table([["benchmark", "target", "measured", "verdict", "note"], ...summary]));
console.log("Details: bench/.results/*.json; method and analysis: docs/benchmarks.md");
if (failed) process.exitCode = 1;
