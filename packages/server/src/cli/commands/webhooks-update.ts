import type { UpdateWebhookInput } from "@keyward/client/types.js";
import { type Command, Option } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addServerHttpOptions, type ServerHttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { parseList } from "../parse-list.js";
import { webhookFields } from "../webhook-fields.js";

interface WebhooksUpdateOptions extends ServerHttpOptions {
  url?: string;
  events?: string[];
  description?: string;
  enable?: boolean;
  disable?: boolean;
}

/** `keyward webhooks update ID`: changes a webhook; options left out stay as they are. */
export function registerWebhooksUpdate(webhooks: Command, ctx: CommandContext): void {
  const command = webhooks
    .command("update")
    .description("change a webhook; options left out stay as they are")
    .argument("<id>", "webhook id")
    .option("--url <url>", "new endpoint: https, or http to a loopback host")
    .option("--events <list>", "comma-separated event types replacing the old ones (or * for all)", parseList)
    .option("--description <text>", 'new description ("" removes it)')
    .addOption(new Option("--enable", "enable the webhook").conflicts("disable"))
    .addOption(new Option("--disable", "disable the webhook (events are not queued for it)"));
  addServerHttpOptions(command).action(async (id: string, options: WebhooksUpdateOptions) => {
    const patch: UpdateWebhookInput = {
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(options.events === undefined ? {} : { events: options.events }),
      ...(options.description === undefined
        ? {}
        : { description: options.description === "" ? null : options.description }),
      ...(options.enable === true ? { enabled: true } : {}),
      ...(options.disable === true ? { enabled: false } : {}),
    };
    if (Object.keys(patch).length === 0) {
      command.error("nothing to update; pass --url, --events, --description, --enable or --disable");
    }
    const webhook = await clientFromEnv(ctx.io, options.server).updateWebhook(id, patch);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(webhook);
    else out.fields(webhookFields(webhook));
  });
}
