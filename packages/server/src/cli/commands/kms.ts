import { type Command, InvalidArgumentError } from "commander";
import { type Config, parseConfig } from "../../config.js";
import type { Kms } from "../../kms/kms.js";
import type { MasterKeyRotation } from "../../kms/master-key-rotation.js";
import type { PepperRotation, PepperStatus } from "../../kms/pepper-rotation.js";
import { systemClock } from "../../services/clock.js";
import type { Stores } from "../../store/stores.js";
import type { CommandContext } from "../command-context.js";
import { parseDuration } from "../duration.js";
import { integerParser } from "../integer-parser.js";
import { Output } from "../output.js";
import { ProgressBar } from "../progress-bar.js";

interface KmsOptions {
  dataDir?: string;
  json?: boolean;
}

/** The configured stores (migrated), and on demand the KMS, for one offline operation; closed after. */
interface OfflineContext {
  config: Config;
  stores: Stores;
  /** Opens the configured KMS once, on first use. */
  kms(): Promise<Kms>;
}

async function withStores<T>(
  ctx: CommandContext,
  options: KmsOptions,
  work: (offline: OfflineContext) => Promise<T>,
): Promise<T> {
  const config = parseConfig(ctx.io.env, options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  // Loaded here, not at the top: commands that only call the API start faster without the drivers.
  const { openConfiguredStores, openConfiguredKms } = await import("../../instance.js");
  const { closeKms } = await import("../../kms/open-kms.js");
  const stores = openConfiguredStores(config);
  let kms: Kms | null = null;
  try {
    await stores.keys.migrate();
    return await work({
      config,
      stores,
      kms: async () => {
        kms ??= await openConfiguredKms(config);
        return kms;
      },
    });
  } finally {
    if (kms !== null) closeKms(kms);
    await stores.keys.close();
  }
}

/** Runs one master key operation. */
async function withRotation<T>(
  ctx: CommandContext,
  options: KmsOptions,
  work: (rotation: MasterKeyRotation) => Promise<T>,
): Promise<T> {
  const { MasterKeyRotation } = await import("../../kms/master-key-rotation.js");
  return withStores(ctx, options, async ({ stores, kms }) =>
    work(new MasterKeyRotation({ store: stores.sealed, kms: await kms() })),
  );
}

/** Runs one pepper operation; only rotation opens the KMS (to seal the new version). */
async function withPepperRotation<T>(
  ctx: CommandContext,
  options: KmsOptions,
  work: (rotation: PepperRotation, offline: OfflineContext) => Promise<T>,
): Promise<T> {
  const { PepperRotation } = await import("../../kms/pepper-rotation.js");
  return withStores(ctx, options, async (offline) =>
    work(new PepperRotation({ store: offline.stores.peppers, clock: systemClock }), offline),
  );
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
  const kms = program
    .command("kms")
    .description("rotate the master key that seals Keyward's secrets, and the digest pepper");

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

  kms
    .command("pepper-rotate")
    .description(
      "add a new digest pepper version; keys are re-digested under it as they are verified (servers keep running)",
    )
    .option(
      "--activate-in <duration>",
      "when servers start digesting with it, e.g. 2m or 0 (default: 6 pepper refresh intervals, 60s)",
      activationDelay,
    )
    .option(...DATA_DIR)
    .option("--json", "print the new version as JSON")
    .action(async (options: KmsOptions & { activateIn?: number }) => {
      const out = new Output(ctx.io);
      const added = await withPepperRotation(ctx, options, async (rotation, offline) =>
        rotation.rotate({
          activateInMs: options.activateIn ?? 6 * offline.config.pepperRefreshIntervalMs,
          kms: await offline.kms(),
        }),
      );
      const { sealedPepper: _sealed, ...shown } = added;
      if (options.json === true) {
        out.json(shown);
        return;
      }
      out.line(
        `Pepper version ${added.version} added; servers digest with it from ${new Date(added.activatesAt).toISOString()}.`,
      );
      out.line("Keys and tokens move to it as they are verified: follow with keyward kms pepper-status.");
    });

  kms
    .command("pepper-status")
    .description("list the digest pepper versions and how many keys and tokens still use each")
    .option(...DATA_DIR)
    .option("--json", "print the status as JSON")
    .action(async (options: KmsOptions) => {
      const out = new Output(ctx.io);
      const status = await withPepperRotation(ctx, options, (rotation) => rotation.status());
      if (options.json === true) out.json(status);
      else for (const line of pepperStatusLines(status)) out.line(line);
    });

  kms
    .command("pepper-retire")
    .description("destroy an old digest pepper version once no key or token needs it")
    .argument(
      "<version>",
      "the version to retire (from keyward kms pepper-status)",
      integerParser(1, 1_000_000),
    )
    .option("--force", "retire it even though keys or tokens still use it (they stop verifying)")
    .option(...DATA_DIR)
    .option("--json", 'print {"retired": version}')
    .action(async (version: number, options: KmsOptions & { force?: boolean }) => {
      await withPepperRotation(ctx, options, (rotation) =>
        rotation.retire(version, { force: options.force === true }),
      );
      const out = new Output(ctx.io);
      if (options.json === true) out.json({ retired: version });
      else out.line(`Pepper version ${version} is retired: its pepper is destroyed.`);
    });
}

/** Commander parser of `--activate-in`: a duration (30s, 2m, 1h) or 0 for at once. */
function activationDelay(text: string): number {
  const value = text.trim();
  if (value === "0") return 0;
  const ms = parseDuration(value);
  if (ms === null) throw new InvalidArgumentError("Expected a duration such as 30s, 2m or 1h, or 0.");
  return ms;
}

/** The human form of `pepper-status`: one line per version, then what is left to move. */
export function pepperStatusLines(status: PepperStatus): string[] {
  const lines = status.versions.map((v) => {
    const when =
      v.state === "retired"
        ? `retired ${iso(v.retiredAt ?? 0)}`
        : v.state === "staged"
          ? `activates ${iso(v.activatesAt)}`
          : `since ${iso(v.activatesAt)}`;
    const counts = `${v.keys.active} key(s), ${v.tokens.active} token(s) (${v.keys.revoked + v.tokens.revoked} revoked)`;
    return `${v.state === "current" ? "*" : " "} v${v.version}  ${v.state.padEnd(8)}  ${when}  ${counts}`;
  });
  const { keys, tokens } = status.pending;
  lines.push(
    keys + tokens === 0
      ? "Every key and token uses the current pepper (or a newer one)."
      : `${keys} key(s) and ${tokens} token(s) still use an older pepper; each moves at its next verification.`,
  );
  if (status.imported.keys > 0) {
    lines.push(
      `  imported  ${status.imported.keys} key(s) imported by SHA-256, not verified yet; each moves to the current pepper at its first verification.`,
    );
  }
  const stranded = status.stranded;
  if (stranded.keys + stranded.tokens > 0) {
    lines.push(
      `${stranded.keys} key(s) and ${stranded.tokens} token(s) were left on a retired pepper and no longer verify: revoke them.`,
    );
  }
  return lines;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
