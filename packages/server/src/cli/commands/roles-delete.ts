import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward roles delete ROLE`: deletes a role; keys holding it lose its permissions at once. */
export function registerRolesDelete(roles: Command, ctx: CommandContext): void {
  addHttpOptions(
    roles
      .command("delete")
      .description("delete a role; keys holding it lose its permissions at once")
      .argument("<role>", "role id or name"),
  ).action(async (ref: string, options: HttpOptions) => {
    await clientFromEnv(ctx.io, options.url).deleteRole(ref);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id: ref, deleted: true });
    else out.line(`Deleted role ${ref}.`);
  });
}
