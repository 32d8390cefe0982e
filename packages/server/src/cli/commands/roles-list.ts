import type { Role } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface RolesListOptions extends HttpOptions {
  search?: string;
  limit?: number;
  cursor?: string;
}

/** `keyward roles list`: roles in creation order with their permissions, one page at a time. */
export function registerRolesList(roles: Command, ctx: CommandContext): void {
  addHttpOptions(
    roles
      .command("list")
      .description("list roles in creation order, with their permissions")
      .option("--search <text>", "only roles whose id, name or description holds this text (any case)")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: RolesListOptions) => {
    const page = await clientFromEnv(ctx.io, options.url).listRoles({
      search: options.search,
      limit: options.limit,
      cursor: options.cursor,
    });
    new Output(ctx.io).page<Role>(
      page,
      options.json === true,
      [
        { header: "id", cell: (r) => r.id },
        { header: "name", cell: (r) => r.name },
        { header: "permissions", cell: (r) => r.permissions.map((permission) => permission.slug) },
        { header: "description", cell: (r) => r.description },
      ],
      "No roles.",
    );
  });
}
