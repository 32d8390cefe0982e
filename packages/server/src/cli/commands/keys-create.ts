import type { Command } from "commander";
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

interface KeysCreateOptions extends HttpOptions, KeyLimitOptions {
  project?: string;
  name?: string;
  owner?: string;
  scopes?: string[];
  role?: string[];
  meta?: Record<string, unknown>;
  expires?: { expiresAt: string | null };
  disabled?: boolean;
  canary?: boolean;
}

/** `keyward keys create`: issues a key and prints it once, with its record. */
export function registerKeysCreate(keys: Command, ctx: CommandContext): void {
  const command = addKeyLimitOptions(
    keys
      .command("create")
      .description("issue a key; the key is printed once and never again")
      .option("--project <id>", "project id (default: the default project)")
      .option("--name <name>", "a name for people")
      .option("--owner <id>", "your own id for the key's holder, e.g. a customer id")
      .option("--scopes <list>", "comma-separated scopes, e.g. orders:read,orders:write", parseList)
      .option(
        "--role <name>",
        "a role (name or id) whose permissions the key gets; repeatable",
        collectOption,
      )
      .option("--meta <json>", `a JSON object stored with the key, e.g. '{"plan":"pro"}'`, parseJsonObject)
      .option("--expires <when>", "30d, 2h, 15m, 45s, 1w, an ISO 8601 date, or never", expiryOption)
      .option("--disabled", "create the key disabled")
      .option("--canary", "create a honeytoken: never valid, any use of it raises an alert"),
  );
  addHttpOptions(command).action(async (options: KeysCreateOptions) => {
    const limits = keyLimitInput(options, { mode: "create", fail: (message) => command.error(message) });
    const client = clientFromEnv(ctx.io, options.url);
    const created = await client.createKey({
      ...(options.project === undefined ? {} : { projectId: options.project }),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.owner === undefined ? {} : { ownerId: options.owner }),
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      ...(options.role === undefined ? {} : { roles: options.role }),
      ...(options.meta === undefined ? {} : { meta: options.meta }),
      ...(options.expires === undefined ? {} : options.expires),
      ...(options.disabled === true ? { enabled: false } : {}),
      ...(options.canary === true ? { canary: true } : {}),
      ...limits,
    });
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(created);
      return;
    }
    const { key, ...record } = created;
    out.line("Key. It will NOT be shown again: give it to its holder or store it now.");
    out.line();
    out.line(`  ${key}`);
    out.line();
    out.fields(keyFields(record, Date.now()));
  });
}
