import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { readSecretFromStdin } from "../read-secret-from-stdin.js";
import { secretFields } from "../secret-fields.js";
import { SECRET_STDIN_BYTES } from "./secrets-create.js";

/** `keyward secrets update ID`: replaces a secret's value with the one piped to standard input. */
export function registerSecretsUpdate(secrets: Command, ctx: CommandContext): void {
  addHttpOptions(
    secrets
      .command("update")
      .description("replace a secret's value; the new value is read from standard input, never argv")
      .argument("<id>", "secret id"),
  ).action(async (id: string, options: HttpOptions) => {
    const value = await readSecretFromStdin(ctx.io, {
      what: "secret value",
      example: `printf %s "$NEW_VALUE" | keyward secrets update ${id}`,
      maxBytes: SECRET_STDIN_BYTES,
    });
    const secret = await clientFromEnv(ctx.io, options.url).updateSecret(id, { value });
    const out = new Output(ctx.io);
    if (options.json === true) out.json(secret);
    else out.fields(secretFields(secret));
  });
}
