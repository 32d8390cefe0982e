import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { permissionFields } from "../permission-fields.js";

interface PermissionsCreateOptions extends HttpOptions {
  name?: string;
  description?: string;
}

/** `keyward permissions create SLUG`: adds a permission to the instance's catalogue. */
export function registerPermissionsCreate(permissions: Command, ctx: CommandContext): void {
  addHttpOptions(
    permissions
      .command("create")
      .description("add a permission to the catalogue, for roles to grant")
      .argument("<slug>", "the scope it grants, e.g. documents.read")
      .option("--name <name>", "a name for people (default: the slug)")
      .option("--description <text>", "what it allows"),
  ).action(async (slug: string, options: PermissionsCreateOptions) => {
    const permission = await clientFromEnv(ctx.io, options.url).createPermission({
      slug,
      name: options.name ?? slug,
      ...(options.description === undefined ? {} : { description: options.description }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(permission);
    else out.fields(permissionFields(permission));
  });
}
