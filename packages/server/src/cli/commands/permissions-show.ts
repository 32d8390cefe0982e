import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { permissionFields } from "../permission-fields.js";

/** `keyward permissions show PERMISSION`: one catalogue permission, by id or slug. */
export function registerPermissionsShow(permissions: Command, ctx: CommandContext): void {
  addHttpOptions(
    permissions
      .command("show")
      .description("show one permission of the catalogue")
      .argument("<permission>", "permission id (perm_...) or slug"),
  ).action(async (ref: string, options: HttpOptions) => {
    const permission = await clientFromEnv(ctx.io, options.url).getPermission(ref);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(permission);
    else out.fields(permissionFields(permission));
  });
}
