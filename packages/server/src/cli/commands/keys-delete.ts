import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward keys delete ID`: erases a key's record for good (revocation keeps it). */
export function registerKeysDelete(keys: Command, ctx: CommandContext): void {
  addHttpOptions(
    keys
      .command("delete")
      .description(
        "erase a key's record for good (irreversible; its audit entries stay); to stop a key but keep its " +
          "record, use keys revoke",
      )
      .argument("<id>", "key id"),
  ).action(async (id: string, options: HttpOptions) => {
    await clientFromEnv(ctx.io, options.url).deleteKey(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id, deleted: true });
    else out.line(`Erased key ${id}.`);
  });
}
