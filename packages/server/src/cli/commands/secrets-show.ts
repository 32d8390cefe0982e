import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { secretFields } from "../secret-fields.js";

/** `keyward secrets show ID`: one secret's metadata (never its value). */
export function registerSecretsShow(secrets: Command, ctx: CommandContext): void {
  addHttpOptions(
    secrets
      .command("show")
      .description("show one secret's metadata (not its value)")
      .argument("<id>", "secret id"),
  ).action(async (id: string, options: HttpOptions) => {
    const secret = await clientFromEnv(ctx.io, options.url).getSecret(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(secret);
    else out.fields(secretFields(secret));
  });
}
