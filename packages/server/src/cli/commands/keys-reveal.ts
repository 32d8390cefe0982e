import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward keys reveal ID`: prints a recoverable key's plaintext, alone on stdout. */
export function registerKeysReveal(keys: Command, ctx: CommandContext): void {
  addHttpOptions(
    keys
      .command("reveal")
      .description(
        "print a key kept by a project with recoverable keys (needs keys:reveal; audited, rate limited)",
      )
      .argument("<id>", "key id"),
  ).action(async (id: string, options: HttpOptions) => {
    const revealed = await clientFromEnv(ctx.io, options.url).revealKey(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(revealed);
    else out.line(revealed.key);
  });
}
