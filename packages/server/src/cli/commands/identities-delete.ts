import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward identities delete ID`: deletes an identity; its keys stay, with their owner id. */
export function registerIdentitiesDelete(identities: Command, ctx: CommandContext): void {
  addHttpOptions(
    identities
      .command("delete")
      .description("delete an identity; its keys keep working and lose its meta and shared rate limits")
      .argument("<id>", "identity id (id_...) or external id"),
  ).action(async (id: string, options: HttpOptions) => {
    await clientFromEnv(ctx.io, options.url).deleteIdentity(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ id, deleted: true });
    else out.line(`Deleted identity ${id}.`);
  });
}
