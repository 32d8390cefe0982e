import type { UpdateKeyInput } from "@keyward/client/types.js";
import { type Command, Option } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import { collectOption } from "../collect-option.js";
import type { CommandContext } from "../command-context.js";
import { expiryOption } from "../expiry-option.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { keyFields } from "../key-fields.js";
import { addKeyLimitOptions, type KeyLimitOptions, keyLimitInput } from "../key-limit-options.js";
import { Output } from "../output.js";
import { parseJsonObject } from "../parse-json-object.js";
import { parseList } from "../parse-list.js";

interface KeysUpdateOptions extends HttpOptions, KeyLimitOptions {
  name?: string;
  owner?: string;
  scopes?: string[];
  role?: string[];
  /** False for `--no-roles`. */
  roles?: boolean;
  meta?: Record<string, unknown>;
  expires?: { expiresAt: string | null };
  enable?: boolean;
  disable?: boolean;
}

/** `keyward keys update ID`: changes a key; options left out stay as they are. */
export function registerKeysUpdate(keys: Command, ctx: CommandContext): void {
  const command = addKeyLimitOptions(
    keys
      .command("update")
      .description("change a key; options left out stay as they are")
      .argument("<id>", "key id")
      .option("--name <name>", 'new name ("" removes it)')
      .option("--owner <id>", 'new owner id ("" removes it)')
      .option("--scopes <list>", 'comma-separated scopes, replacing the old ones ("" removes all)', parseList)
      .option(
        "--role <name>",
        "a role (name or id); repeatable; the given roles replace all the old ones",
        collectOption,
      )
      .addOption(new Option("--no-roles", "remove every role of the key").conflicts("role"))
      .option("--meta <json>", "a JSON object replacing the old meta", parseJsonObject)
      .option(
        "--expires <when>",
        "30d, 2h, 15m, 45s, 1w, an ISO 8601 date (a past one expires it now), or never",
        expiryOption,
      )
      .addOption(new Option("--enable", "enable the key").conflicts("disable"))
      .addOption(new Option("--disable", "disable the key (verification answers DISABLED)")),
  )
    .option("--no-rate-limits", "remove all the key's rate limits")
    .option("--no-quota", "remove the key's quota")
    .option("--no-ip-allowlist", "remove the key's own IP allowlist (its project's list applies)");
  addHttpOptions(command).action(async (id: string, options: KeysUpdateOptions) => {
    const limits = keyLimitInput(options, { mode: "update", fail: (message) => command.error(message) });
    const patch: UpdateKeyInput = {
      ...(options.name === undefined ? {} : { name: options.name === "" ? null : options.name }),
      ...(options.owner === undefined ? {} : { ownerId: options.owner === "" ? null : options.owner }),
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      ...(options.role === undefined ? {} : { roles: options.role }),
      ...(options.roles === false ? { roles: [] } : {}),
      ...(options.meta === undefined ? {} : { meta: options.meta }),
      ...(options.expires === undefined ? {} : options.expires),
      ...(options.enable === true ? { enabled: true } : {}),
      ...(options.disable === true ? { enabled: false } : {}),
      ...limits,
    };
    if (Object.keys(patch).length === 0) {
      command.error(
        "nothing to update; pass --name, --owner, --scopes, --role, --meta, --expires, --enable, --disable, " +
          "--rate-limit, --quota, --refill, --ip or one of their --no- forms",
      );
    }
    const key = await clientFromEnv(ctx.io, options.url).updateKey(id, patch);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(key);
    else out.fields(keyFields(key, Date.now()));
  });
}
