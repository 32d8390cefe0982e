import type { KeyRateLimit } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { identityFields } from "../identity-fields.js";
import { Output } from "../output.js";
import { parseJsonObject } from "../parse-json-object.js";
import { rateLimitOption } from "../rate-limit-option.js";

interface IdentitiesCreateOptions extends HttpOptions {
  meta?: Record<string, unknown>;
  rateLimit?: KeyRateLimit[];
}

/** `keyward identities create EXTERNAL_ID`: meta and rate limits shared by every key of one owner. */
export function registerIdentitiesCreate(identities: Command, ctx: CommandContext): void {
  addHttpOptions(
    identities
      .command("create")
      .description("create an identity for the keys whose owner id is EXTERNAL_ID, in every project")
      .argument("<externalId>", "the owner id of the keys it groups (keys create --owner)")
      .option(
        "--meta <json>",
        `a JSON object returned with every verification, e.g. '{"plan":"pro"}'`,
        parseJsonObject,
      )
      .option(
        "--rate-limit <name=limit/window>",
        "a rate limit shared by all its keys, e.g. requests=1000/1m (window: 500ms, 1s, 1m, 1h, 1d); repeatable",
        rateLimitOption,
      ),
  ).action(async (externalId: string, options: IdentitiesCreateOptions) => {
    const identity = await clientFromEnv(ctx.io, options.url).createIdentity({
      externalId,
      ...(options.meta === undefined ? {} : { meta: options.meta }),
      ...(options.rateLimit === undefined ? {} : { rateLimits: options.rateLimit }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(identity);
    else out.fields(identityFields(identity));
  });
}
