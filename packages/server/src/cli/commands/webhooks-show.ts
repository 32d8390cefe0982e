import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { webhookFields } from "../webhook-fields.js";

/** `keyward webhooks show ID`: one webhook's record (never its secret). */
export function registerWebhooksShow(webhooks: Command, ctx: CommandContext): void {
  addHttpOptions(
    webhooks.command("show").description("show one webhook").argument("<id>", "webhook id"),
  ).action(async (id: string, options: HttpOptions) => {
    const webhook = await clientFromEnv(ctx.io, options.url).getWebhook(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(webhook);
    else out.fields(webhookFields(webhook));
  });
}
