import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { identityFields } from "../identity-fields.js";
import { Output } from "../output.js";

/** `keyward identities show ID`: one identity, by id or external id. */
export function registerIdentitiesShow(identities: Command, ctx: CommandContext): void {
  addHttpOptions(
    identities
      .command("show")
      .description("show one identity")
      .argument("<id>", "identity id (id_...) or external id"),
  ).action(async (id: string, options: HttpOptions) => {
    const identity = await clientFromEnv(ctx.io, options.url).getIdentity(id);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(identity);
    else out.fields(identityFields(identity));
  });
}
