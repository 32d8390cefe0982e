import type { UsageBucket, UsageGranularity, UsageGroup } from "@keyward/client/types.js";
import { type Command, InvalidArgumentError, Option } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { INSTANT_HELP, parseInstant } from "../instant-option.js";
import { integerParser } from "../integer-parser.js";
import { type Column, Output } from "../output.js";
import { sparkline } from "../sparkline.js";

interface UsageOptions extends HttpOptions {
  project?: string;
  from?: string;
  to?: string;
  granularity?: UsageGranularity;
  groupBy?: "key" | "code";
  limit?: number;
}

/**
 * `keyward usage [KEY_ID]`: verification outcomes by code, as a table with a sparkline of the totals per
 * bucket; a key's usage with KEY_ID, else the totals and top keys of a project (or of every visible project).
 */
export function registerUsage(program: Command, ctx: CommandContext): void {
  addHttpOptions(
    program
      .command("usage")
      .description("show verification outcomes per bucket: of one key, or the top keys of a project")
      .argument("[keyId]", "key id; without it, the usage of a project's keys (or of every project)")
      .option("--project <id>", "the project whose keys to sum (without KEY_ID)")
      .option("--from <when>", `start of the range: ${INSTANT_HELP} (default: 24h before --to)`, parseInstant)
      .option("--to <when>", `end of the range: ${INSTANT_HELP} (default: now)`, parseInstant)
      .addOption(
        new Option("--granularity <unit>", "bucket size (default: hour)").choices(["minute", "hour", "day"]),
      )
      .addOption(new Option("--group-by <what>", "top keys or codes (default: key)").choices(["key", "code"]))
      .option("--limit <n>", "most keys or codes listed, 1 to 100 (default: 10)", integerParser(1, 100)),
  ).action(async (keyId: string | undefined, options: UsageOptions) => {
    if (keyId !== undefined && (options.project !== undefined || options.groupBy !== undefined)) {
      throw new InvalidArgumentError("--project and --group-by apply to a project's usage, not to KEY_ID.");
    }
    const client = clientFromEnv(ctx.io, options.url);
    const range = {
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      ...(options.granularity === undefined ? {} : { granularity: options.granularity }),
    };
    const out = new Output(ctx.io);
    if (keyId !== undefined) {
      const usage = await client.getKeyUsage(keyId, range);
      if (options.json === true) {
        out.json(usage);
        return;
      }
      out.line(`Key ${usage.keyId}, ${usage.granularity} buckets from ${usage.from} to ${usage.to}`);
      printSeries(out, usage.buckets);
      return;
    }
    const usage = await client.getUsage({
      ...range,
      ...(options.project === undefined ? {} : { projectId: options.project }),
      ...(options.groupBy === undefined ? {} : { groupBy: options.groupBy }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    if (options.json === true) {
      out.json(usage);
      return;
    }
    const scope = usage.projectId === null ? "Every project" : `Project ${usage.projectId}`;
    out.line(`${scope}, ${usage.granularity} buckets from ${usage.from} to ${usage.to}`);
    printSeries(out, usage.buckets);
    out.line();
    const label = usage.groupBy === "key" ? "key" : "code";
    out.table<UsageGroup>(
      usage.groups,
      [
        { header: label, cell: (g) => g.id },
        { header: "total", cell: (g) => g.total },
        ...(usage.groupBy === "key" ? codeColumns(usage.groups) : []),
      ],
      usage.groupBy === "key" ? "No key was verified in this range." : "No verifications in this range.",
    );
  });
}

/** The total line, the sparkline of every bucket, and a table of the buckets that counted anything. */
function printSeries(out: Output, buckets: readonly UsageBucket[]): void {
  const total = buckets.reduce((sum, b) => sum + b.total, 0);
  out.line(`Total ${total}${byCode(buckets)}`);
  out.line(sparkline(buckets.map((b) => b.total)));
  out.line();
  const counted = buckets.filter((b) => b.total > 0);
  out.table<UsageBucket>(
    counted,
    [
      { header: "start", cell: (b) => b.start },
      { header: "total", cell: (b) => b.total },
      ...codeColumns(counted),
    ],
    "No verifications in this range.",
  );
  const empty = buckets.length - counted.length;
  if (counted.length > 0 && empty > 0) out.line(`(${empty} empty buckets not listed)`);
}

/** One column per code seen in the rows: VALID first, then the others alphabetically. */
function codeColumns<T extends { codes: Record<string, number> }>(rows: readonly T[]): Column<T>[] {
  const codes = [...new Set(rows.flatMap((r) => Object.keys(r.codes)))].sort((a, b) =>
    a === "VALID" ? -1 : b === "VALID" ? 1 : a.localeCompare(b),
  );
  return codes.map((code) => ({ header: code, cell: (r: T) => r.codes[code] ?? 0 }));
}

/** ", VALID 12, RATE_LIMITED 3" for the codes of all buckets, largest first. */
function byCode(buckets: readonly UsageBucket[]): string {
  const totals = new Map<string, number>();
  for (const b of buckets)
    for (const [code, n] of Object.entries(b.codes)) totals.set(code, (totals.get(code) ?? 0) + n);
  const sorted = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return sorted.map(([code, n]) => `, ${code} ${n}`).join("");
}
