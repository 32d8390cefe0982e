import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { gracePeriodOption } from "../grace-period-option.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { keyFields } from "../key-fields.js";
import { Output } from "../output.js";

interface KeysRotateOptions extends HttpOptions {
  grace?: number;
}

/** `keyward keys rotate ID`: replaces a key, prints the new key once, and says when the old one stops working. */
export function registerKeysRotate(keys: Command, ctx: CommandContext): void {
  addHttpOptions(
    keys
      .command("rotate")
      .description(
        "replace a key with a new one (same project, owner, scopes, meta); the new key is printed once and the " +
          "old key keeps working for the grace period",
      )
      .argument("<id>", "id of the key to replace")
      .option(
        "--grace <duration>",
        "how long the old key keeps working: 30s, 15m, 2h, 7d, 1w (at most 30d), or 0 (default: 1d)",
        gracePeriodOption,
      ),
  ).action(async (id: string, options: KeysRotateOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const rotated = await client.rotateKey(
      id,
      options.grace === undefined ? {} : { gracePeriodSeconds: options.grace },
    );
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(rotated);
      return;
    }
    const { key, previous, ...record } = rotated;
    const now = Date.now();
    out.line("New key. It will NOT be shown again: give it to its holder or store it now.");
    out.line();
    out.line(`  ${key}`);
    out.line();
    out.fields(keyFields(record, now));
    out.line();
    const endsAt = previous.expiresAt;
    if (endsAt !== null && Date.parse(endsAt) <= now) {
      out.fields([["old key", `${previous.id} stopped working at ${endsAt}`]]);
    } else {
      out.fields([["old key", `${previous.id} keeps working until ${endsAt ?? "revoked"}`]]);
    }
  });
}
