import type { Command } from "commander";
import { parseConfig } from "../../config.js";
import type { CommandContext } from "../command-context.js";
import { Output } from "../output.js";
import { ProgressBar } from "../progress-bar.js";

interface KmsOptions {
  dataDir?: string;
  json?: boolean;
}

/** Opens the configured store and KMS for one offline master key operation, and closes them after. */
async function withRotation<T>(
  ctx: CommandContext,
  options: KmsOptions,
  work: (rotation: import("../../kms/master-key-rotation.js").MasterKeyRotation) => Promise<T>,
): Promise<T> {
  const config = parseConfig(ctx.io.env, options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  // Loaded here, not at the top: commands that only call the API start faster without the drivers.
  const { openConfiguredStores, openConfiguredKms } = await import("../../instance.js");
  const { MasterKeyRotation } = await import("../../kms/master-key-rotation.js");
  const { closeKms } = await import("../../kms/open-kms.js");
  const stores = openConfiguredStores(config);
  try {
    await stores.keys.migrate();
    const kms = await openConfiguredKms(config);
    try {
      return await work(new MasterKeyRotation({ store: stores.sealed, kms }));
    } finally {
      closeKms(kms);
    }
  } finally {
    await stores.keys.close();
  }
}

const DATA_DIR = [
  "--data-dir <dir>",
  "data directory (default: $KEYWARD_DATA_DIR, else ./.keyward)",
] as const;

/**
 * `keyward kms rotate|status|retire`: master key rotation, run beside the servers (no downtime): a new version,
 * then every sealed value's data key rewrapped under it, resumable after an interruption.
 */
export function registerKms(program: Command, ctx: CommandContext): void {
  const kms = program.command("kms").description("rotate the master key that seals Keyward's secrets");

  kms
    .command("rotate")
    .description(
      "make a new master key version and rewrap every sealed value under it (servers keep running)",
    )
    .option("--resume", "finish an interrupted rotation under the current version, without making another")
    .option(...DATA_DIR)
    .option("--json", "print the report as JSON")
    .action(async (options: KmsOptions & { resume?: boolean }) => {
      const out = new Output(ctx.io);
      const bar = new ProgressBar({ stream: ctx.io.stderr });
      const report = await withRotation(ctx, options, (rotation) =>
        rotation.rotate({
          resume: options.resume === true,
          onProgress: (p) => bar.update("rewrapping sealed values", p.visited, p.total),
        }),
      );
      bar.finish();
      if (options.json === true) {
        out.json(report);
        return;
      }
      out.line(
        `Every sealed value is under master key version ${report.keyId} (${report.rewrapped} rewrapped, ${report.alreadyCurrent} already there).`,
      );
      if (report.previousKeyId !== report.keyId) {
        out.line(
          `Retire the old version once no server needs it: keyward kms retire ${report.previousKeyId}`,
        );
      }
    });

  kms
    .command("status")
    .description("list the master key versions and how many sealed values each still holds")
    .option(...DATA_DIR)
    .option("--json", "print the status as JSON")
    .action(async (options: KmsOptions) => {
      const out = new Output(ctx.io);
      const status = await withRotation(ctx, options, (rotation) => rotation.status());
      if (options.json === true) {
        out.json(status);
        return;
      }
      for (const v of status.versions) {
        out.line(`${v.current ? "*" : " "} ${v.keyId}  ${v.sealedValues} sealed value(s)`);
      }
      for (const v of status.unknownVersions) {
        out.line(`! ${v.keyId}  ${v.sealedValues} sealed value(s) under a version this KMS does not hold`);
      }
      if (status.pending > 0) {
        out.line(`${status.pending} value(s) still under older versions: run keyward kms rotate --resume`);
      }
    });

  kms
    .command("retire")
    .description("forget an old master key version once no sealed value uses it")
    .argument("<keyId>", "the version to retire (from keyward kms status)")
    .option(...DATA_DIR)
    .option("--json", 'print {"retired": keyId}')
    .action(async (keyId: string, options: KmsOptions) => {
      await withRotation(ctx, options, (rotation) => rotation.retire(keyId));
      const out = new Output(ctx.io);
      if (options.json === true) out.json({ retired: keyId });
      else out.line(`Master key version ${keyId} is retired.`);
    });
}
