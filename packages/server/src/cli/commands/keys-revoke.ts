import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { keyFields } from "../key-fields.js";
import { Output } from "../output.js";

interface KeysRevokeOptions extends HttpOptions {
  reason?: string;
}

/** `keyward keys revoke ID`: revokes a key for good. */
export function registerKeysRevoke(keys: Command, ctx: CommandContext): void {
  addHttpOptions(
    keys
      .command("revoke")
      .description("revoke a key for good (irreversible)")
      .argument("<id>", "key id")
      .option("--reason <text>", "why, kept with the record"),
  ).action(async (id: string, options: KeysRevokeOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const key = await client.revokeKey(id, options.reason === undefined ? {} : { reason: options.reason });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(key);
    else out.fields(keyFields(key, Date.now()));
  });
}
