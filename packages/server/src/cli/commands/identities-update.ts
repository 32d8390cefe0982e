import type { KeyRateLimit, UpdateIdentityInput } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { identityFields } from "../identity-fields.js";
import { Output } from "../output.js";
import { parseJsonObject } from "../parse-json-object.js";
import { rateLimitOption } from "../rate-limit-option.js";

interface IdentitiesUpdateOptions extends HttpOptions {
  meta?: Record<string, unknown>;
  rateLimit?: KeyRateLimit[];
  /** False for `--no-rate-limits` (commander defaults a lone --no- option to true). */
  rateLimits?: boolean;
}

/** `keyward identities update ID`: replaces an identity's meta and/or rate limits. */
export function registerIdentitiesUpdate(identities: Command, ctx: CommandContext): void {
  const command = identities
    .command("update")
    .description("replace an identity's meta and/or rate limits; options left out stay as they are")
    .argument("<id>", "identity id (id_...) or external id")
    .option("--meta <json>", "a JSON object replacing the old meta ('{}' removes it)", parseJsonObject)
    .option(
      "--rate-limit <name=limit/window>",
      "a shared rate limit, e.g. requests=1000/1m; repeatable; the given limits replace all the old ones",
      rateLimitOption,
    )
    .option("--no-rate-limits", "remove every rate limit of the identity");
  addHttpOptions(command).action(async (id: string, options: IdentitiesUpdateOptions) => {
    if (options.rateLimits === false && options.rateLimit !== undefined) {
      command.error("pass --rate-limit or --no-rate-limits, not both");
    }
    const patch: UpdateIdentityInput = {
      ...(options.meta === undefined ? {} : { meta: options.meta }),
      ...(options.rateLimit === undefined ? {} : { rateLimits: options.rateLimit }),
      ...(options.rateLimits === false ? { rateLimits: [] } : {}),
    };
    if (Object.keys(patch).length === 0) {
      command.error("nothing to update; pass --meta, --rate-limit or --no-rate-limits");
    }
    const identity = await clientFromEnv(ctx.io, options.url).updateIdentity(id, patch);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(identity);
    else out.fields(identityFields(identity));
  });
}
