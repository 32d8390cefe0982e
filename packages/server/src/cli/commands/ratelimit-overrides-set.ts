import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";
import { rateLimitOverrideFields } from "../rate-limit-override-fields.js";
import { windowOption } from "../window-option.js";

interface RatelimitOverridesSetOptions extends HttpOptions {
  namespace: string;
  identifier: string;
  limit: number;
  window: number;
}

/** `keyward ratelimit overrides set`: gives one identifier its own limit and window in a namespace. */
export function registerRatelimitOverridesSet(overrides: Command, ctx: CommandContext): void {
  addHttpOptions(
    overrides
      .command("set")
      .description("give one identifier its own limit and window, used instead of what checks ask for")
      .requiredOption("--namespace <name>", "the namespace, e.g. login")
      .requiredOption("--identifier <id>", "the identifier, e.g. a user id or an IP address")
      .requiredOption("--limit <n>", "requests allowed per window, 1 to 1e12", integerParser(1, 1e12))
      .requiredOption(
        "--window <window>",
        "the sliding window: 500ms, 1s, 1m, 1h or 1d, at most 30d",
        windowOption,
      ),
  ).action(async (options: RatelimitOverridesSetOptions) => {
    const override = await clientFromEnv(ctx.io, options.url).setRateLimitOverride({
      namespace: options.namespace,
      identifier: options.identifier,
      limit: options.limit,
      windowMs: options.window,
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(override);
    else out.fields(rateLimitOverrideFields(override));
  });
}
