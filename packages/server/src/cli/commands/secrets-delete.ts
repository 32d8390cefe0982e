import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward secrets delete ID`: deletes a secret. */
export function registerSecretsDelete(secrets: Command, ctx: CommandContext): void {
  addHttpOptions(
    secrets.command("delete").description("delete a secret (irreversible)").argument("<id>", "secret id"),
  ).action(async (id: string, options: HttpOptions) => {
    await clientFromEnv(ctx.io, options.url).deleteSecret(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id, deleted: true });
    else out.line(`Deleted secret ${id}.`);
  });
}
