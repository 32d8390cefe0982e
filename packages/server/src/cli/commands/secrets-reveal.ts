import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/**
 * `keyward secrets reveal ID`: prints a secret's value, alone on stdout so it can be piped on (`--json` prints
 * the record with it). Audited and rate limited by the server.
 */
export function registerSecretsReveal(secrets: Command, ctx: CommandContext): void {
  addHttpOptions(
    secrets
      .command("reveal")
      .description("print a secret's value (needs secrets:reveal; audited, 10 reveals a minute per token)")
      .argument("<id>", "secret id"),
  ).action(async (id: string, options: HttpOptions) => {
    const revealed = await clientFromEnv(ctx.io, options.url).revealSecret(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(revealed);
    else out.line(revealed.value);
  });
}
