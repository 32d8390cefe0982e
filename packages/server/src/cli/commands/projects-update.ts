import type { UpdateProjectInput } from "@keyward/client/types.js";
import type { Command } from "commander";
import { booleanOption } from "../boolean-option.js";
import { clientFromEnv } from "../client-from-env.js";
import { collectOption } from "../collect-option.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { policyOption } from "../policy-option.js";
import { projectFields } from "../project-fields.js";

type Policy = { value: string | null };

interface ProjectsUpdateOptions extends HttpOptions {
  name?: string;
  maxLifetime?: Policy;
  rotationPeriod?: Policy;
  inactivityRevocation?: Policy;
  expiryNotice?: Policy;
  ip?: string[];
  /** False for --no-ip-allowlist (commander defaults a lone --no- option to true). */
  ipAllowlist?: boolean;
  timezone?: string;
  recoverableKeys?: boolean;
  require2fa?: boolean;
}

const POLICY_HELP = "an ISO 8601 duration such as";

/** `keyward projects update ID`: renames a project or sets and removes its key policies. */
export function registerProjectsUpdate(projects: Command, ctx: CommandContext): void {
  const command = projects
    .command("update")
    .description("rename a project or change its key policies; options left out stay as they are")
    .argument("<id>", "project id")
    .option("--name <name>", "new name")
    .option(
      "--max-lifetime <duration>",
      `longest a key may live, ${POLICY_HELP} P90D, or none to remove`,
      policyOption,
    )
    .option(
      "--rotation-period <duration>",
      `age at which a key is due for rotation, ${POLICY_HELP} P30D, or none`,
      policyOption,
    )
    .option(
      "--inactivity-revocation <duration>",
      `revoke keys unused this long, ${POLICY_HELP} P60D, or none`,
      policyOption,
    )
    .option(
      "--expiry-notice <duration>",
      `send key.expiring this long before expiry, ${POLICY_HELP} P7D, or none (default P7D)`,
      policyOption,
    )
    .option(
      "--ip <address|cidr>",
      "allow the project's keys (those without a list of their own) only from this IPv4/IPv6 address or CIDR " +
        "range, e.g. 10.0.0.0/8; repeatable, replaces the old list",
      collectOption,
    )
    .option("--no-ip-allowlist", "remove the project's IP allowlist (any address)")
    .option("--timezone <zone>", "IANA time zone of daily and monthly quota refills, e.g. Europe/Paris")
    .option(
      "--recoverable-keys",
      "keep a sealed copy of each key issued from now on, readable with keys:reveal (see docs/secrets.md)",
    )
    .option("--no-recoverable-keys", "keep no copies, and delete the copies kept so far")
    .option(
      "--require-2fa <true|false>",
      "true: users without two-factor authentication get no role in the project (see docs/accounts.md)",
      booleanOption,
    );
  addHttpOptions(command).action(async (id: string, options: ProjectsUpdateOptions) => {
    const policies: NonNullable<UpdateProjectInput["policies"]> = {
      ...(options.maxLifetime === undefined ? {} : { maxLifetime: options.maxLifetime.value }),
      ...(options.rotationPeriod === undefined ? {} : { rotationPeriod: options.rotationPeriod.value }),
      ...(options.inactivityRevocation === undefined
        ? {}
        : { inactivityRevocation: options.inactivityRevocation.value }),
      ...(options.expiryNotice === undefined ? {} : { expiryNotice: options.expiryNotice.value }),
    };
    if (options.ipAllowlist === false && options.ip !== undefined) {
      command.error("pass --ip or --no-ip-allowlist, not both");
    }
    const patch: UpdateProjectInput = {
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(Object.keys(policies).length === 0 ? {} : { policies }),
      ...(options.ip === undefined ? {} : { ipAllowlist: options.ip }),
      ...(options.ipAllowlist === false ? { ipAllowlist: null } : {}),
      ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
      ...(options.recoverableKeys === undefined ? {} : { recoverableKeys: options.recoverableKeys }),
      ...(options.require2fa === undefined ? {} : { require2fa: options.require2fa }),
    };
    if (Object.keys(patch).length === 0) {
      command.error(
        "nothing to update; pass --name, --max-lifetime, --rotation-period, --inactivity-revocation, " +
          "--expiry-notice, --ip, --no-ip-allowlist, --timezone, --[no-]recoverable-keys or --require-2fa",
      );
    }
    const project = await clientFromEnv(ctx.io, options.url).updateProject(id, patch);
    const out = new Output(ctx.io);
    if (options.json === true) out.json(project);
    else out.fields(projectFields(project));
  });
}
