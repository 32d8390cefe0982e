import type { Delivery } from "@keyward/client/types.js";
import { type Command, Option } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { lastAttemptOutcome } from "../delivery-fields.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface WebhooksDeliveriesOptions extends HttpOptions {
  status?: "pending" | "delivered" | "failed";
  limit?: number;
  cursor?: string;
}

/** `keyward webhooks deliveries ID`: a webhook's deliveries, newest first, one page at a time. */
export function registerWebhooksDeliveries(webhooks: Command, ctx: CommandContext): void {
  addHttpOptions(
    webhooks
      .command("deliveries")
      .description("list a webhook's deliveries, newest first (--json includes every attempt)")
      .argument("<id>", "webhook id")
      .addOption(
        new Option("--status <status>", "only deliveries in this state").choices([
          "pending",
          "delivered",
          "failed",
        ]),
      )
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (id: string, options: WebhooksDeliveriesOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const page = await client.listDeliveries(id, {
      status: options.status,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Delivery>(
      page,
      options.json === true,
      [
        { header: "event", cell: (d) => d.id },
        { header: "type", cell: (d) => d.eventType },
        { header: "status", cell: (d) => d.status },
        { header: "attempts", cell: (d) => d.attempts },
        { header: "last result", cell: lastAttemptOutcome },
        { header: "next attempt", cell: (d) => d.nextAttemptAt },
      ],
      "No deliveries.",
    );
  });
}
