import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { parseList } from "../parse-list.js";
import { roleFields } from "../role-fields.js";

interface RolesCreateOptions extends HttpOptions {
  description?: string;
  permissions?: string[];
}

/** `keyward roles create NAME`: a named set of permissions keys can hold. */
export function registerRolesCreate(roles: Command, ctx: CommandContext): void {
  addHttpOptions(
    roles
      .command("create")
      .description("create a role; give it to keys with keys create/update --role NAME")
      .argument("<name>", "unique role name")
      .option("--description <text>", "what the role is for")
      .option(
        "--permissions <list>",
        "comma-separated permission slugs, e.g. documents.read,documents.write (missing ones are added to the catalogue)",
        parseList,
      ),
  ).action(async (name: string, options: RolesCreateOptions) => {
    const role = await clientFromEnv(ctx.io, options.url).createRole({
      name,
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.permissions === undefined ? {} : { permissions: options.permissions }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(role);
    else out.fields(roleFields(role));
  });
}
