// Formatting and result files shared by the benchmarks.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { RESULTS_DIR } from "./processes.mjs";

/** Renders rows (arrays of cells) as a left-aligned text table; the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const line = (row) =>
    row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])));
  const [header, ...body] = rows;
  return [
    line(header).join("  "),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map((r) => line(r).join("  ")),
  ].join("\n");
}

/** 12345.6 -> "12,346". */
export function count(value) {
  return Math.round(value).toLocaleString("en-US");
}

/** A ratio with two decimals, e.g. "0.63". */
export function ratio(value) {
  return value.toFixed(2);
}

/** PASS or MISS for a measured value against a target. */
export function verdict(pass) {
  return pass ? "PASS" : "MISS";
}

/** The machine the numbers came from. */
export function describeMachine() {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? "unknown",
    cpus: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Writes `bench/.results/<name>.json` and returns its path. */
export function writeResult(name, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), ...data }, null, 2)}\n`);
  return path;
}

/** Environment-variable number with a default. */
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}
