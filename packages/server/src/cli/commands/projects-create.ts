import type { Command } from "commander";
import { booleanOption } from "../boolean-option.js";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { projectFields } from "../project-fields.js";

interface ProjectsCreateOptions extends HttpOptions {
  prefix?: string;
  require2fa?: boolean;
}

/** `keyward projects create NAME`: creates a project with its own key prefix. */
export function registerProjectsCreate(projects: Command, ctx: CommandContext): void {
  addHttpOptions(
    projects
      .command("create")
      .description("create a project")
      .argument("<name>", "project name")
      .option("--prefix <prefix>", "prefix of the project's keys, [a-z][a-z0-9_]{0,19} (default: kw)")
      .option(
        "--require-2fa <true|false>",
        "users without two-factor authentication get no role in the project (default: false)",
        booleanOption,
      ),
  ).action(async (name: string, options: ProjectsCreateOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const project = await client.createProject({
      name,
      ...(options.prefix === undefined ? {} : { keyPrefix: options.prefix }),
      ...(options.require2fa === undefined ? {} : { require2fa: options.require2fa }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(project);
    else out.fields(projectFields(project));
  });
}
