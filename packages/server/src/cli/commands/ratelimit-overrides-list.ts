import type { RateLimitOverride } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";
import { formatWindowMs } from "../rate-limit-window.js";

interface RatelimitOverridesListOptions extends HttpOptions {
  namespace: string;
  limit?: number;
  cursor?: string;
}

/** `keyward ratelimit overrides list --namespace N`: a namespace's overrides, one page at a time. */
export function registerRatelimitOverridesList(overrides: Command, ctx: CommandContext): void {
  addHttpOptions(
    overrides
      .command("list")
      .description("list a namespace's overrides")
      .requiredOption("--namespace <name>", "the namespace, e.g. login")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: RatelimitOverridesListOptions) => {
    const page = await clientFromEnv(ctx.io, options.url).listRateLimitOverrides(options.namespace, {
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<RateLimitOverride>(
      page,
      options.json === true,
      [
        { header: "identifier", cell: (o) => o.identifier },
        { header: "limit", cell: (o) => o.limit },
        { header: "window", cell: (o) => formatWindowMs(o.windowMs) },
        { header: "created", cell: (o) => o.createdAt },
      ],
      "No overrides.",
    );
  });
}
