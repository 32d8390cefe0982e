import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { keyFields } from "../key-fields.js";
import { Output } from "../output.js";

/** `keyward keys show ID`: one key's record (never the key itself). */
export function registerKeysShow(keys: Command, ctx: CommandContext): void {
  addHttpOptions(keys.command("show").description("show one key's record").argument("<id>", "key id")).action(
    async (id: string, options: HttpOptions) => {
      const key = await clientFromEnv(ctx.io, options.url).getKey(id);
      const out = new Output(ctx.io);
      if (options.json === true) out.json(key);
      else out.fields(keyFields(key, Date.now()));
    },
  );
}
