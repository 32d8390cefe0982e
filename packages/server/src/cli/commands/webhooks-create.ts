import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Command } from "commander";
import { clientFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addServerHttpOptions, type ServerHttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { parseList } from "../parse-list.js";
import { readSecretFromStdin } from "../read-secret-from-stdin.js";
import { webhookFields } from "../webhook-fields.js";

interface WebhooksCreateOptions extends ServerHttpOptions {
  url: string;
  events: string[];
  project?: string;
  description?: string;
  disabled?: boolean;
  secretStdin?: boolean;
}

/** `keyward webhooks create`: registers a webhook endpoint and prints its signing secret once. */
export function registerWebhooksCreate(webhooks: Command, ctx: CommandContext): void {
  const command = webhooks
    .command("create")
    .description("register a webhook endpoint; its signing secret is printed once and never again")
    .requiredOption("--url <url>", "the endpoint to POST events to: https, or http to a loopback host")
    .requiredOption(
      "--events <list>",
      "comma-separated event types, e.g. key.rotated,key.revoked (or * for all)",
      parseList,
    )
    .option("--project <id>", "project whose events to send (default: the default project)")
    .option("--description <text>", "a description for people")
    .option("--disabled", "create the webhook disabled")
    .option(
      "--secret-stdin",
      "read a whsec_ signing secret from standard input instead of generating one (never pass it in argv)",
    );
  addServerHttpOptions(command).action(async (options: WebhooksCreateOptions) => {
    const client = clientFromEnv(ctx.io, options.server);
    const secret =
      options.secretStdin === true
        ? await readSecretFromStdin(ctx.io, {
            what: "webhook secret",
            example: 'printf %s "$SECRET" | keyward webhooks create ... --secret-stdin',
          })
        : undefined;
    // Checked here too so a pasted key or token is refused before it leaves the machine.
    if (secret !== undefined && !secret.startsWith("whsec_")) {
      throw new KeywardError("VALIDATION_ERROR", "The secret on standard input must start with whsec_.");
    }
    const created = await client.createWebhook({
      url: options.url,
      events: options.events,
      ...(options.project === undefined ? {} : { projectId: options.project }),
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.disabled === true ? { enabled: false } : {}),
      ...(secret === undefined ? {} : { secret }),
    });
    const out = new Output(ctx.io);
    if (options.json === true) {
      out.json(created);
      return;
    }
    const { secret: signingSecret, ...record } = created;
    if (secret === undefined) {
      out.line("Signing secret. It will NOT be shown again: store it now where your receiver can read it.");
      out.line("Verify each request with it, e.g. with the standardwebhooks package.");
      out.line();
      out.line(`  ${signingSecret}`);
      out.line();
    }
    out.fields(webhookFields(record));
  });
}
