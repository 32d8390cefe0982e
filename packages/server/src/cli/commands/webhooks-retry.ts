import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { deliveryFields } from "../delivery-fields.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward webhooks retry ID EVENT_ID`: sends an event to a webhook again, now. */
export function registerWebhooksRetry(webhooks: Command, ctx: CommandContext): void {
  addHttpOptions(
    webhooks
      .command("retry")
      .description("send an event to a webhook again now, with a fresh retry window")
      .argument("<id>", "webhook id")
      .argument("<event-id>", "event id (evt_…), as webhooks deliveries lists it"),
  ).action(async (id: string, eventId: string, options: HttpOptions) => {
    const delivery = await clientFromEnv(ctx.io, options.url).retryDelivery(id, eventId);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(delivery);
    else out.fields(deliveryFields(delivery));
  });
}
