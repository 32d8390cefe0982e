import type { Secret } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface SecretsListOptions extends HttpOptions {
  project?: string;
  limit?: number;
  cursor?: string;
}

/** `keyward secrets list`: secrets' metadata in creation order, one page at a time. */
export function registerSecretsList(secrets: Command, ctx: CommandContext): void {
  addHttpOptions(
    secrets
      .command("list")
      .description("list secrets (names and dates, never values)")
      .option("--project <id>", "only secrets of this project")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: SecretsListOptions) => {
    const page = await clientFromEnv(ctx.io, options.url).listSecrets({
      projectId: options.project,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Secret>(
      page,
      options.json === true,
      [
        { header: "id", cell: (s) => s.id },
        { header: "project", cell: (s) => s.projectId },
        { header: "name", cell: (s) => s.name },
        { header: "updated", cell: (s) => s.updatedAt },
        { header: "last revealed", cell: (s) => s.lastRevealedAt ?? "never" },
      ],
      "No secrets.",
    );
  });
}
