import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { readSecretFromStdin } from "../read-secret-from-stdin.js";
import { secretFields } from "../secret-fields.js";

/** Vault secrets take up to 8 KiB, plus room for a trailing newline. */
export const SECRET_STDIN_BYTES = 8 * 1024 + 2;

interface SecretsCreateOptions extends HttpOptions {
  name: string;
  project?: string;
}

/** `keyward secrets create --name NAME`: stores the value piped to standard input, sealed. */
export function registerSecretsCreate(secrets: Command, ctx: CommandContext): void {
  const command = secrets
    .command("create")
    .description(
      "store an upstream credential in the vault; the value is read from standard input, never argv",
    )
    .requiredOption("--name <name>", "unique in the project: letters, digits, _ then also - and .")
    .option("--project <id>", "project of the secret (default: the default project)");
  addHttpOptions(command).action(async (options: SecretsCreateOptions) => {
    const value = await readSecretFromStdin(ctx.io, {
      what: "secret value",
      example: 'printf %s "$STRIPE_KEY" | keyward secrets create --name STRIPE_API_KEY',
      maxBytes: SECRET_STDIN_BYTES,
    });
    const secret = await clientFromEnv(ctx.io, options.url).createSecret({
      name: options.name,
      value,
      ...(options.project === undefined ? {} : { projectId: options.project }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(secret);
    else out.fields(secretFields(secret));
  });
}
