import { once } from "node:events";
import { open } from "node:fs/promises";
import type { AuditEntry } from "@keyward/client/types.js";
import { type Command, Option } from "commander";
import { auditCsvHeader, auditCsvRow } from "../audit-csv.js";
import { type AuditFilterOptions, addAuditFilterOptions, auditFiltersOf } from "../audit-filter-options.js";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { ProgressBar } from "../progress-bar.js";

interface AuditExportOptions extends HttpOptions, AuditFilterOptions {
  format: "jsonl" | "csv";
  output?: string;
}

/** Entries per request: the largest page the API serves. */
const EXPORT_PAGE = 1_000;

/**
 * `keyward audit export`: every matching entry, oldest first, as JSON Lines or CSV, to stdout or a file. Pages are
 * written as they arrive, so memory stays constant whatever the size of the log; progress goes to stderr.
 */
export function registerAuditExport(audit: Command, ctx: CommandContext): void {
  addHttpOptions(
    addAuditFilterOptions(
      audit
        .command("export")
        .description(
          "export audit entries, oldest first, as JSON Lines or CSV (streamed, with progress on stderr)",
        ),
    )
      .addOption(
        new Option(
          "--format <format>",
          "jsonl: one entry as JSON per line; csv: a header row, then one row each",
        )
          .choices(["jsonl", "csv"])
          .default("jsonl"),
      )
      .option("--output <file>", "write to this file (created or replaced, mode 600) instead of stdout"),
  ).action(async (options: AuditExportOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    // Opened before the first request, so a path that cannot be written fails at once, not after the download.
    const file = options.output === undefined ? null : await open(options.output, "w", 0o600);
    const stream = file === null ? ctx.io.stdout : file.createWriteStream();
    const bar = new ProgressBar({ stream: ctx.io.stderr });
    let written = 0;
    try {
      const write = async (text: string) => {
        if (!stream.write(text)) await once(stream, "drain");
      };
      const line = options.format === "csv" ? auditCsvRow : (e: AuditEntry) => `${JSON.stringify(e)}\n`;
      if (options.format === "csv") await write(auditCsvHeader());
      let cursor: string | undefined;
      let total = 0;
      do {
        const page = await client.listAuditEntries({
          ...auditFiltersOf(options),
          order: "oldest",
          limit: EXPORT_PAGE,
          cursor,
          // Counting costs a scan of the matches: once, for the progress bar, is enough.
          count: cursor === undefined ? true : undefined,
        });
        total = page.total ?? total;
        await write(page.items.map(line).join(""));
        written += page.items.length;
        // Entries appended while the export runs are exported too: the total grows with them.
        bar.update("audit export", written, Math.max(total, written));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    } finally {
      bar.finish();
      if (file !== null) {
        stream.end();
        await once(stream, "close");
      }
    }
    if (options.output === undefined) return;
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ entries: written, format: options.format, output: options.output });
    else out.line(`Exported ${written} audit entries to ${options.output} (${options.format}).`);
  });
}
