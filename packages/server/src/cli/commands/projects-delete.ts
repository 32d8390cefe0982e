import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward projects delete ID`: deletes a project and revokes its keys. */
export function registerProjectsDelete(projects: Command, ctx: CommandContext): void {
  addHttpOptions(
    projects
      .command("delete")
      .description(
        "delete a project (irreversible): its keys stop verifying at once and are revoked; its record, keys " +
          "and audit entries stay for the audit trail",
      )
      .argument("<id>", "project id"),
  ).action(async (id: string, options: HttpOptions) => {
    const result = await clientFromEnv(ctx.io, options.url).deleteProject(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id, deleted: true, revoked: result.revoked });
    else
      out.line(`Deleted project ${id}; revoked ${result.revoked} ${result.revoked === 1 ? "key" : "keys"}.`);
  });
}
