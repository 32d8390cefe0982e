import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward permissions delete PERMISSION`: deletes a permission and takes it out of every role. */
export function registerPermissionsDelete(permissions: Command, ctx: CommandContext): void {
  addHttpOptions(
    permissions
      .command("delete")
      .description("delete a permission and take it out of every role (keys' own scopes stay)")
      .argument("<permission>", "permission id (perm_...) or slug"),
  ).action(async (ref: string, options: HttpOptions) => {
    await clientFromEnv(ctx.io, options.url).deletePermission(ref);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id: ref, deleted: true });
    else out.line(`Deleted permission ${ref}.`);
  });
}
