import type { Alert, AlertType } from "@keyward/client/types.js";
import { type Command, Option } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface AlertsListOptions extends HttpOptions {
  project?: string;
  type?: AlertType;
  open?: boolean;
  acknowledged?: boolean;
  limit?: number;
  cursor?: string;
}

/** `keyward alerts list`: alerts in creation order, one page at a time. */
export function registerAlertsList(alerts: Command, ctx: CommandContext): void {
  const command = addHttpOptions(
    alerts
      .command("list")
      .description("list anomaly alerts: spikes, new sources, brute force, dead keys used, canary keys used")
      .option("--project <id>", "only alerts of this project")
      .addOption(
        new Option("--type <type>", "only alerts of this type").choices([
          "spike",
          "new_source",
          "brute_force",
          "dead_key_used",
          "canary",
        ]),
      )
      .option("--open", "only alerts not acknowledged yet")
      .option("--acknowledged", "only acknowledged alerts")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  );
  command.action(async (options: AlertsListOptions) => {
    if (options.open === true && options.acknowledged === true) {
      command.error("error: --open and --acknowledged exclude each other");
    }
    const client = clientFromEnv(ctx.io, options.url);
    const page = await client.listAlerts({
      projectId: options.project,
      type: options.type,
      acknowledged: options.open === true ? false : options.acknowledged === true ? true : undefined,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Alert>(
      page,
      options.json === true,
      [
        { header: "id", cell: (a) => a.id },
        { header: "type", cell: (a) => a.type },
        { header: "key", cell: (a) => a.keyId },
        { header: "project", cell: (a) => a.projectId },
        { header: "first seen", cell: (a) => a.firstSeenAt },
        { header: "last seen", cell: (a) => a.lastSeenAt },
        { header: "count", cell: (a) => String(a.occurrences) },
        { header: "acknowledged", cell: (a) => a.acknowledgedAt ?? "no" },
      ],
      "No alerts.",
    );
  });
}
