import type { Webhook } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface WebhooksListOptions extends HttpOptions {
  project?: string;
  limit?: number;
  cursor?: string;
}

/** `keyward webhooks list`: webhooks in creation order, optionally of one project, one page at a time. */
export function registerWebhooksList(webhooks: Command, ctx: CommandContext): void {
  addHttpOptions(
    webhooks
      .command("list")
      .description("list webhooks (never their secrets)")
      .option("--project <id>", "only webhooks of this project")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: WebhooksListOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const page = await client.listWebhooks({
      projectId: options.project,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Webhook>(
      page,
      options.json === true,
      [
        { header: "id", cell: (w) => w.id },
        { header: "project", cell: (w) => w.projectId },
        { header: "status", cell: (w) => (w.enabled ? "enabled" : "disabled") },
        { header: "url", cell: (w) => w.url },
        { header: "events", cell: (w) => w.events },
        { header: "description", cell: (w) => w.description },
      ],
      "No webhooks.",
    );
  });
}
