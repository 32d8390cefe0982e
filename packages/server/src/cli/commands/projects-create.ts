import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { projectFields } from "../project-fields.js";

interface ProjectsCreateOptions extends HttpOptions {
  prefix?: string;
}

/** `keyward projects create NAME`: creates a project with its own key prefix. */
export function registerProjectsCreate(projects: Command, ctx: CommandContext): void {
  addHttpOptions(
    projects
      .command("create")
      .description("create a project")
      .argument("<name>", "project name")
      .option("--prefix <prefix>", "prefix of the project's keys, [a-z][a-z0-9_]{0,19} (default: kw)"),
  ).action(async (name: string, options: ProjectsCreateOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const project = await client.createProject({
      name,
      ...(options.prefix === undefined ? {} : { keyPrefix: options.prefix }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(project);
    else out.fields(projectFields(project));
  });
}
