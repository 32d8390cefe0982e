import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

interface RatelimitOverridesDeleteOptions extends HttpOptions {
  namespace: string;
  identifier: string;
}

/** `keyward ratelimit overrides delete`: removes one identifier's override; checks use their own limit again. */
export function registerRatelimitOverridesDelete(overrides: Command, ctx: CommandContext): void {
  addHttpOptions(
    overrides
      .command("delete")
      .description("remove one identifier's override; checks use the limit they ask for again")
      .requiredOption("--namespace <name>", "the namespace, e.g. login")
      .requiredOption("--identifier <id>", "the identifier"),
  ).action(async (options: RatelimitOverridesDeleteOptions) => {
    const { namespace, identifier } = options;
    await clientFromEnv(ctx.io, options.url).deleteRateLimitOverride(namespace, identifier);
    const out = new Output(ctx.io);
    if (options.json === true) out.json({ namespace, identifier, deleted: true });
    // Fields, not a sentence: the identifier is the caller's text and fields escape it.
    else
      out.fields([
        ["deleted override", identifier],
        ["namespace", namespace],
      ]);
  });
}
