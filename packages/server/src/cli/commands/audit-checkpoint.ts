import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

/** `keyward audit checkpoint`: signs a checkpoint of the audit log as it ends now. */
export function registerAuditCheckpoint(audit: Command, ctx: CommandContext): void {
  addHttpOptions(
    audit
      .command("checkpoint")
      .description("sign a checkpoint of the audit log now (the scheduler also signs one every N entries)"),
  ).action(async (options: HttpOptions) => {
    const checkpoint = await clientFromEnv(ctx.io, options.url).createAuditCheckpoint();
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(checkpoint);
      return;
    }
    out.fields([
      ["entry", String(checkpoint.seq)],
      ["hash", checkpoint.hash],
      ["signed at", checkpoint.at],
      ["key", checkpoint.keyId],
      ["kind", checkpoint.kind],
    ]);
  });
}
