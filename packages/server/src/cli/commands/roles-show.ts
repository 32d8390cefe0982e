import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { roleFields } from "../role-fields.js";

/** `keyward roles show ROLE`: one role, by id or name, with its permissions. */
export function registerRolesShow(roles: Command, ctx: CommandContext): void {
  addHttpOptions(
    roles
      .command("show")
      .description("show one role and its permissions")
      .argument("<role>", "role id or name"),
  ).action(async (ref: string, options: HttpOptions) => {
    const role = await clientFromEnv(ctx.io, options.url).getRole(ref);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(role);
    else out.fields(roleFields(role));
  });
}
