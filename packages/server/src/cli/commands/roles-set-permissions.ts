import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { parseList } from "../parse-list.js";
import { roleFields } from "../role-fields.js";

interface RolesSetPermissionsOptions extends HttpOptions {
  permissions: string[];
}

/** `keyward roles set-permissions ROLE --permissions a,b`: replaces a role's permissions. */
export function registerRolesSetPermissions(roles: Command, ctx: CommandContext): void {
  addHttpOptions(
    roles
      .command("set-permissions")
      .description("replace a role's permissions; every key holding it sees the change on every node")
      .argument("<role>", "role id or name")
      .requiredOption(
        "--permissions <list>",
        'comma-separated permission slugs replacing the old ones ("" removes them all)',
        parseList,
      ),
  ).action(async (ref: string, options: RolesSetPermissionsOptions) => {
    const role = await clientFromEnv(ctx.io, options.url).setRolePermissions(ref, options.permissions);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(role);
    else out.fields(roleFields(role));
  });
}
