import type { Permission } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface PermissionsListOptions extends HttpOptions {
  search?: string;
  limit?: number;
  cursor?: string;
}

/** `keyward permissions list`: the catalogue's permissions in id order, one page at a time. */
export function registerPermissionsList(permissions: Command, ctx: CommandContext): void {
  addHttpOptions(
    permissions
      .command("list")
      .description("list the catalogue's permissions in id order")
      .option(
        "--search <text>",
        "only permissions whose id, slug, name or description holds this text (any case)",
      )
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: PermissionsListOptions) => {
    const page = await clientFromEnv(ctx.io, options.url).listPermissions({
      search: options.search,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Permission>(
      page,
      options.json === true,
      [
        { header: "id", cell: (p) => p.id },
        { header: "slug", cell: (p) => p.slug },
        { header: "name", cell: (p) => p.name },
        { header: "description", cell: (p) => p.description },
      ],
      "No permissions.",
    );
  });
}
