import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward webhooks delete ID`: deletes a webhook with its deliveries. */
export function registerWebhooksDelete(webhooks: Command, ctx: CommandContext): void {
  addHttpOptions(
    webhooks
      .command("delete")
      .description("delete a webhook and its delivery history (irreversible)")
      .argument("<id>", "webhook id"),
  ).action(async (id: string, options: HttpOptions) => {
    await clientFromEnv(ctx.io, options.url).deleteWebhook(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id, deleted: true });
    else out.line(`Deleted webhook ${id}.`);
  });
}
