import { writeFile } from "node:fs/promises";
import type { AuditCheckpoint } from "@keyward/client/types.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

interface AuditCheckpointsOptions extends HttpOptions {
  output?: string;
}

/**
 * `keyward audit checkpoints [--output FILE]`: every signed checkpoint with the public keys that verify them. The
 * file is what `keyward audit verify --checkpoints FILE` checks the log against later.
 */
export function registerAuditCheckpoints(audit: Command, ctx: CommandContext): void {
  addHttpOptions(
    audit
      .command("checkpoints")
      .description("export the signed checkpoints and their public keys, to keep outside Keyward")
      .option("--output <file>", "write the export to this file (created or replaced)"),
  ).action(async (options: AuditCheckpointsOptions) => {
    const exported = await clientFromEnv(ctx.io, options.url).exportAuditCheckpoints();
    const out = new Output(ctx.io);
    if (options.output !== undefined) {
      await writeFile(options.output, `${JSON.stringify(exported, null, 2)}\n`);
      const summary = {
        checkpoints: exported.checkpoints.length,
        publicKeys: exported.publicKeys.length,
        output: options.output,
      };
      if (options.json === true) out.json(summary);
      else {
        out.line(
          `Wrote ${summary.checkpoints} checkpoints and ${summary.publicKeys} public keys to ${options.output}.`,
        );
      }
      return;
    }
    if (options.json === true) {
      out.json(exported);
      return;
    }
    out.table<AuditCheckpoint>(
      exported.checkpoints,
      [
        { header: "entry", cell: (c) => String(c.seq) },
        { header: "signed at", cell: (c) => c.at },
        { header: "kind", cell: (c) => c.kind },
        { header: "key", cell: (c) => c.keyId },
        { header: "hash", cell: (c) => c.hash },
      ],
      "No checkpoints yet.",
    );
    out.line(
      "Keep a copy elsewhere: add --output FILE, then check with keyward audit verify --checkpoints FILE.",
    );
  });
}
