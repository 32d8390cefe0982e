import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { projectFields } from "../project-fields.js";

/** `keyward projects show ID`: one project with its key policies. */
export function registerProjectsShow(projects: Command, ctx: CommandContext): void {
  addHttpOptions(
    projects
      .command("show")
      .description("show one project and its key policies")
      .argument("<id>", "project id"),
  ).action(async (id: string, options: HttpOptions) => {
    const project = await clientFromEnv(ctx.io, options.url).getProject(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(project);
    else out.fields(projectFields(project));
  });
}
