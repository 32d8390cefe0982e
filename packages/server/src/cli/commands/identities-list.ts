import type { Identity } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { showRateLimit } from "../key-fields.js";
import { Output } from "../output.js";

interface IdentitiesListOptions extends HttpOptions {
  search?: string;
  limit?: number;
  cursor?: string;
}

/** `keyward identities list`: identities in externalId order, one page at a time. */
export function registerIdentitiesList(identities: Command, ctx: CommandContext): void {
  addHttpOptions(
    identities
      .command("list")
      .description("list identities in external id order")
      .option("--search <text>", "only identities whose id or external id holds this text (any case)")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: IdentitiesListOptions) => {
    const page = await clientFromEnv(ctx.io, options.url).listIdentities({
      search: options.search,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Identity>(
      page,
      options.json === true,
      [
        { header: "id", cell: (i) => i.id },
        { header: "external id", cell: (i) => i.externalId },
        { header: "rate limits", cell: (i) => i.rateLimits.map(showRateLimit) },
        { header: "meta", cell: (i) => (Object.keys(i.meta).length === 0 ? null : i.meta) },
        { header: "updated", cell: (i) => i.updatedAt },
      ],
      "No identities.",
    );
  });
}
