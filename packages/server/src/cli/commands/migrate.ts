import type { Command } from "commander";
import { parseConfig } from "../../config.js";
import type { CommandContext } from "../command-context.js";
import { Output } from "../output.js";

interface MigrateOptions {
  dataDir?: string;
  json?: boolean;
}

/**
 * `keyward migrate`: applies pending schema migrations to the configured store (SQLite, or PostgreSQL with
 * KEYWARD_DATABASE_URL) and reports what ran. `serve` migrates on start too; this runs it ahead of a rollout.
 */
export function registerMigrate(program: Command, ctx: CommandContext): void {
  program
    .command("migrate")
    .description("apply pending schema migrations to the configured store and report what ran")
    .option(
      "--data-dir <dir>",
      "data directory of the SQLite store (default: $KEYWARD_DATA_DIR, else ./.keyward)",
    )
    .option("--json", 'print {"applied":[versions],"version":N}')
    .action(async (options: MigrateOptions) => {
      const config = parseConfig(
        ctx.io.env,
        options.dataDir === undefined ? {} : { dataDir: options.dataDir },
      );
      // Loaded here, not at the top: commands that only call the API start faster without the drivers.
      const { latestSchemaVersion, openConfiguredStores } = await import("../../instance.js");
      const stores = openConfiguredStores(config);
      try {
        const applied = await stores.keys.migrate();
        const version = latestSchemaVersion(config);
        const out = new Output(ctx.io);
        if (options.json === true) {
          out.json({ applied, version });
          return;
        }
        const where = config.databaseUrl === null ? `SQLite in ${config.dataDir}` : "PostgreSQL";
        out.line(
          applied.length === 0
            ? `The ${where} schema is current (version ${version}).`
            : `Applied migration(s) ${applied.join(", ")} to ${where}; the schema is at version ${version}.`,
        );
      } finally {
        await stores.keys.close();
      }
    });
}
