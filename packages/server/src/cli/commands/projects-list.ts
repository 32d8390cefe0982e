import type { Project } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";

interface ProjectsListOptions extends HttpOptions {
  limit?: number;
  cursor?: string;
}

/** `keyward projects list`: the projects this token can see, one page at a time. */
export function registerProjectsList(projects: Command, ctx: CommandContext): void {
  addHttpOptions(
    projects
      .command("list")
      .description("list projects")
      .option("--limit <n>", "page size, 1 to 100 (default: 50)", integerParser(1, 100))
      .option("--cursor <cursor>", "the next-page cursor a previous list printed"),
  ).action(async (options: ProjectsListOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const page = await client.listProjects({ limit: options.limit, cursor: options.cursor });
    new Output(ctx.io).page<Project>(
      page,
      options.json === true,
      [
        { header: "id", cell: (p) => p.id },
        { header: "name", cell: (p) => p.name },
        { header: "key prefix", cell: (p) => p.keyPrefix },
        { header: "created", cell: (p) => p.createdAt },
      ],
      "No projects.",
    );
  });
}
