import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { keyFields } from "../key-fields.js";
import { Output } from "../output.js";

interface KeysRevokeOptions extends HttpOptions {
  reason?: string;
  owner?: string;
  project?: string;
}

/**
 * `keyward keys revoke ID`: revokes a key for good; `keyward keys revoke --owner O [--project P]` or
 * `--project P` revokes every live key of that owner or project and prints how many.
 */
export function registerKeysRevoke(keys: Command, ctx: CommandContext): void {
  const command = keys
    .command("revoke")
    .description(
      "revoke a key for good (irreversible); with --owner and/or --project instead of an id, revoke every " +
        "live key of that owner or project",
    )
    .argument("[id]", "key id")
    .option(
      "--owner <id>",
      "revoke every live key of this owner (in every project you can see, or --project)",
    )
    .option("--project <id>", "revoke every live key of this project (only the --owner's, with --owner)")
    .option("--reason <text>", "why, kept with the record");
  addHttpOptions(command).action(async (id: string | undefined, options: KeysRevokeOptions) => {
    const bulk = options.owner !== undefined || options.project !== undefined;
    if (id !== undefined && bulk) {
      command.error("pass either a key id or --owner/--project, not both");
    }
    if (id === undefined && !bulk) {
      command.error("pass a key id, or --owner and/or --project to revoke many keys");
    }
    const client = clientFromEnv(ctx.io, options.url);
    const reason = options.reason === undefined ? {} : { reason: options.reason };
    const out = new Output(ctx.io);
    if (id === undefined) {
      const result = await client.revokeKeys({
        ...(options.project === undefined ? {} : { projectId: options.project }),
        ...(options.owner === undefined ? {} : { ownerId: options.owner }),
        ...reason,
      });
      if (options.json === true) out.json(result);
      else out.line(`Revoked ${result.revoked} ${result.revoked === 1 ? "key" : "keys"}.`);
      return;
    }
    const key = await client.revokeKey(id, reason);
    if (options.json === true) out.json(key);
    else out.fields(keyFields(key, Date.now()));
  });
}
