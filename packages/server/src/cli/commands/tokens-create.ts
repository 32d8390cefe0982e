import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { parseList } from "../parse-list.js";
import { tokenFields } from "../token-fields.js";

interface TokensCreateOptions extends HttpOptions {
  name: string;
  permissions: string[];
  projects?: string[];
}

/** `keyward tokens create`: mints an admin token and prints it once, with its record. */
export function registerTokensCreate(tokens: Command, ctx: CommandContext): void {
  addHttpOptions(
    tokens
      .command("create")
      .description("mint an admin token (at most your own permissions); printed once and never again")
      .requiredOption("--name <name>", "a name for people, e.g. ci-deployer")
      .requiredOption(
        "--permissions <list>",
        "comma-separated permissions, e.g. keys:create,keys:read (or keys:*, *)",
        parseList,
      )
      .option(
        "--projects <list>",
        "comma-separated project ids the token is limited to (default: all)",
        parseList,
      ),
  ).action(async (options: TokensCreateOptions) => {
    const client = clientFromEnv(ctx.io, options.url);
    const created = await client.createToken({
      name: options.name,
      permissions: options.permissions,
      ...(options.projects === undefined ? {} : { projectIds: options.projects }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(created);
      return;
    }
    const { token, ...record } = created;
    out.line("Admin token. It will NOT be shown again: store it now, e.g. in a secret manager.");
    out.line();
    out.line(`  ${token}`);
    out.line();
    out.fields(tokenFields(record));
  });
}
