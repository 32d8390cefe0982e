import { join } from "node:path";
import { type Command, Option } from "commander";
import { parseConfig } from "../../config.js";
import { MASTER_KEY_FILE } from "../../kms/master-key.js";
import { collectOption } from "../collect-option.js";
import type { CommandContext } from "../command-context.js";
import { Output } from "../output.js";
import { printSelfSigned, selfSignedJson } from "../self-signed-output.js";

interface InitOptions {
  dataDir?: string;
  selfSigned?: boolean;
  hostname?: string[];
  json?: boolean;
}

/** `keyward init`: creates the data directory and store, and prints the root token, once. */
export function registerInit(program: Command, ctx: CommandContext): void {
  program
    .command("init")
    .description("create the data directory and print the root admin token (shown once)")
    .option("--data-dir <dir>", "data directory (default: $KEYWARD_DATA_DIR, else ./.keyward)")
    .option(
      "--self-signed",
      "also write a development TLS certificate and key to <data-dir>/tls/ (localhost, 127.0.0.1, ::1; 90 days)",
    )
    .addOption(
      new Option("--hostname <name>", "another DNS name or IP address for the certificate; repeatable")
        .argParser(collectOption)
        .implies({ selfSigned: true }),
    )
    .option("--json", 'print {"rootToken":"..."}, or {"rootToken":null,"alreadyInitialized":true}')
    .action(async (options: InitOptions) => {
      const config = parseConfig(
        ctx.io.env,
        options.dataDir === undefined ? {} : { dataDir: options.dataDir },
      );
      // Loaded here, not at the top: commands that only call the API start faster without SQLite.
      const { openInstance } = await import("../../instance.js");
      // Before the store: a bad --hostname must fail before a root token exists that would never be printed.
      // Loaded only when asked for: the X.509 library is the heaviest import of any command.
      const tls =
        options.selfSigned === true
          ? await (await import("../../tls/write-self-signed-files.js")).writeSelfSignedFiles({
              dataDir: config.dataDir,
              hostnames: options.hostname ?? [],
              nowMs: Date.now(),
            })
          : null;
      const instance = await openInstance({ config });
      try {
        const out = new Output(ctx.io);
        const { rootToken } = instance;
        if (options.json === true) {
          out.json({
            ...(rootToken === null ? { rootToken: null, alreadyInitialized: true } : { rootToken }),
            ...(tls === null ? {} : { tls: selfSignedJson(tls) }),
          });
          return;
        }
        if (tls !== null) printSelfSigned(out, tls);
        if (rootToken === null) {
          out.line(
            `Keyward is already initialized in ${config.dataDir}. Its root token was shown when it was created ` +
              "and cannot be shown again; create more tokens with `keyward tokens create`.",
          );
          return;
        }
        out.line(`Initialized Keyward in ${config.dataDir}.`);
        if (config.masterKey === null) {
          out.line(
            `Master key: ${join(config.dataDir, MASTER_KEY_FILE)}. Back it up: without it this data cannot be read.`,
          );
        }
        out.line();
        out.line("Root token. It will NOT be shown again: store it now, e.g. in a secret manager.");
        out.line();
        out.line(`  ${rootToken}`);
        out.line();
        out.line("Next: export KEYWARD_TOKEN=<the root token> and run `keyward serve`.");
      } finally {
        await instance.close();
      }
    });
}
