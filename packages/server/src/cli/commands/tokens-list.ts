import type { Token } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface TokensListOptions extends HttpOptions {
  limit?: number;
  cursor?: string;
}

/** `keyward tokens list`: admin tokens in creation order (records only, never the tokens). */
export function registerTokensList(tokens: Command, ctx: CommandContext): void {
  addHttpOptions(
    tokens
      .command("list")
      .description("list admin tokens")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: TokensListOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const page = await client.listTokens({ limit: options.limit, cursor: options.cursor });
    new Output(ctx.io).page<Token>(
      page,
      options.json === true,
      [
        { header: "id", cell: (t) => t.id },
        { header: "name", cell: (t) => t.name },
        { header: "permissions", cell: (t) => t.permissions },
        { header: "projects", cell: (t) => t.projectIds ?? "all" },
        { header: "start", cell: (t) => t.start },
        { header: "status", cell: (t) => (t.revokedAt === null ? "active" : "revoked") },
        { header: "last used", cell: (t) => t.lastUsedAt },
      ],
      "No tokens.",
    );
  });
}
