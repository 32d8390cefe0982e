import type { AuditEntry } from "@keyward/client/types.js";
import { type Command, Option } from "commander";
import { type AuditFilterOptions, addAuditFilterOptions, auditFiltersOf } from "../audit-filter-options.js";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface AuditListOptions extends HttpOptions, AuditFilterOptions {
  order?: "newest" | "oldest";
  limit?: number;
  cursor?: string;
}

/** `keyward audit list`: one page of audit entries, newest first unless `--order oldest`. */
export function registerAuditList(audit: Command, ctx: CommandContext): void {
  addHttpOptions(
    addAuditFilterOptions(
      audit.command("list").description("list audit log entries: who changed what, when, from where"),
    )
      .addOption(
        new Option("--order <order>", "newest first (default) or oldest first").choices(["newest", "oldest"]),
      )
      .option("--limit <n>", "page size, 1 to 1000 (default: 100)", integerParser(1, 1_000))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed (same --order)"),
  ).action(async (options: AuditListOptions) => {
    const page = await clientFromEnv(ctx.io, options.url).listAuditEntries({
      ...auditFiltersOf(options),
      order: options.order,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<AuditEntry>(
      page,
      options.json === true,
      [
        { header: "seq", cell: (e) => String(e.seq) },
        { header: "at", cell: (e) => e.at },
        { header: "actor", cell: (e) => e.actor.name ?? e.actor.id },
        { header: "action", cell: (e) => e.action },
        { header: "target", cell: (e) => (e.target === null ? null : e.target.id) },
        { header: "outcome", cell: (e) => e.outcome },
        { header: "source", cell: (e) => e.sourceIp },
        { header: "request", cell: (e) => e.requestId },
      ],
      "No audit entries.",
    );
  });
}
