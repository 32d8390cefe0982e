import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { tokenFields } from "../token-fields.js";

/** `keyward tokens revoke ID`: revokes an admin token for good. */
export function registerTokensRevoke(tokens: Command, ctx: CommandContext): void {
  addHttpOptions(
    tokens
      .command("revoke")
      .description("revoke an admin token for good (irreversible)")
      .argument("<id>", "token id"),
  ).action(async (id: string, options: HttpOptions) => {
    const token = await clientFromEnv(ctx.io, options.url).revokeToken(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(token);
    else out.fields(tokenFields(token));
  });
}
