import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward alerts ack ID`: acknowledges an alert; the storm's next occurrence raises a new one. */
export function registerAlertsAck(alerts: Command, ctx: CommandContext): void {
  addHttpOptions(
    alerts
      .command("ack")
      .description("acknowledge an alert (acknowledging again keeps the first acknowledgement)")
      .argument("<id>", "alert id (alr_…)"),
  ).action(async (id: string, options: HttpOptions) => {
    const alert = await clientFromEnv(ctx.io, options.url).acknowledgeAlert(id);
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(alert);
      return;
    }
    out.fields([
      ["id", alert.id],
      ["type", alert.type],
      ["key", alert.keyId],
      ["occurrences", String(alert.occurrences)],
      ["acknowledged", alert.acknowledgedAt],
      ["by", alert.acknowledgedBy],
    ]);
  });
}
