import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { CommandContext } from "./command-context.js";
import { registerAlertsAck } from "./commands/alerts-ack.js";
import { registerAlertsList } from "./commands/alerts-list.js";
import { registerAuditCheckpoint } from "./commands/audit-checkpoint.js";
import { registerAuditCheckpoints } from "./commands/audit-checkpoints.js";
import { registerAuditExport } from "./commands/audit-export.js";
import { registerAuditList } from "./commands/audit-list.js";
import { registerAuditVerify } from "./commands/audit-verify.js";
import { registerIdentitiesCreate } from "./commands/identities-create.js";
import { registerIdentitiesDelete } from "./commands/identities-delete.js";
import { registerIdentitiesList } from "./commands/identities-list.js";
import { registerIdentitiesShow } from "./commands/identities-show.js";
import { registerIdentitiesUpdate } from "./commands/identities-update.js";
import { registerInit } from "./commands/init.js";
import { registerKeysCreate } from "./commands/keys-create.js";
import { registerKeysDelete } from "./commands/keys-delete.js";
import { registerKeysImport } from "./commands/keys-import.js";
import { registerKeysList } from "./commands/keys-list.js";
import { registerKeysQuota } from "./commands/keys-quota.js";
import { registerKeysReveal } from "./commands/keys-reveal.js";
import { registerKeysRevoke } from "./commands/keys-revoke.js";
import { registerKeysRotate } from "./commands/keys-rotate.js";
import { registerKeysShow } from "./commands/keys-show.js";
import { registerKeysUpdate } from "./commands/keys-update.js";
import { registerKeysVerify } from "./commands/keys-verify.js";
import { registerKms } from "./commands/kms.js";
import { registerLogin } from "./commands/login.js";
import { registerLogout } from "./commands/logout.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerPermissionsCreate } from "./commands/permissions-create.js";
import { registerPermissionsDelete } from "./commands/permissions-delete.js";
import { registerPermissionsList } from "./commands/permissions-list.js";
import { registerPermissionsShow } from "./commands/permissions-show.js";
import { registerProjectsCreate } from "./commands/projects-create.js";
import { registerProjectsDelete } from "./commands/projects-delete.js";
import { registerProjectsList } from "./commands/projects-list.js";
import { registerProjectsShow } from "./commands/projects-show.js";
import { registerProjectsUpdate } from "./commands/projects-update.js";
import { LIMITED_EXIT_CODE, registerRatelimitCheck } from "./commands/ratelimit-check.js";
import { registerRatelimitOverridesDelete } from "./commands/ratelimit-overrides-delete.js";
import { registerRatelimitOverridesList } from "./commands/ratelimit-overrides-list.js";
import { registerRatelimitOverridesSet } from "./commands/ratelimit-overrides-set.js";
import { registerRolesCreate } from "./commands/roles-create.js";
import { registerRolesDelete } from "./commands/roles-delete.js";
import { registerRolesList } from "./commands/roles-list.js";
import { registerRolesSetPermissions } from "./commands/roles-set-permissions.js";
import { registerRolesShow } from "./commands/roles-show.js";
import { registerSecretsCreate } from "./commands/secrets-create.js";
import { registerSecretsDelete } from "./commands/secrets-delete.js";
import { registerSecretsList } from "./commands/secrets-list.js";
import { registerSecretsReveal } from "./commands/secrets-reveal.js";
import { registerSecretsShow } from "./commands/secrets-show.js";
import { registerSecretsUpdate } from "./commands/secrets-update.js";
import { registerServe } from "./commands/serve.js";
import { registerStoreCopy } from "./commands/store-copy.js";
import { registerTokensCreate } from "./commands/tokens-create.js";
import { registerTokensList } from "./commands/tokens-list.js";
import { registerTokensRevoke } from "./commands/tokens-revoke.js";
import { registerUsage } from "./commands/usage.js";
import { registerWebhooksCreate } from "./commands/webhooks-create.js";
import { registerWebhooksDelete } from "./commands/webhooks-delete.js";
import { registerWebhooksDeliveries } from "./commands/webhooks-deliveries.js";
import { registerWebhooksList } from "./commands/webhooks-list.js";
import { registerWebhooksRetry } from "./commands/webhooks-retry.js";
import { registerWebhooksShow } from "./commands/webhooks-show.js";
import { registerWebhooksUpdate } from "./commands/webhooks-update.js";
import { registerWhoami } from "./commands/whoami.js";
import type { CliIo } from "./io.js";
import { renderError } from "./render-error.js";

const ENVIRONMENT_HELP = `
Environment:
  KEYWARD_TOKEN      admin token for the HTTP commands (never a flag: argv is visible to other users); when
                     unset, they use the session of keyward login
  KEYWARD_SESSION_FILE  where keyward login keeps its session (default: $XDG_CONFIG_HOME/keyward/session.json,
                     else ~/.config/keyward/session.json)
  KEYWARD_URL        server URL for the HTTP commands (default: http://127.0.0.1:8080)
  KEYWARD_DATA_DIR   data directory of init and serve (default: ./.keyward)
  KEYWARD_HOST, KEYWARD_PORT, KEYWARD_MASTER_KEY, KEYWARD_LOG_LEVEL: see docs/cli.md
  KEYWARD_TLS_CERT, KEYWARD_TLS_KEY  PEM files for serve to use HTTPS (see docs/https.md)
  KEYWARD_DEBUG=1    print the stack of unexpected errors

Exit codes: 0 success, 1 error (or keys verify: key not valid; audit verify: log not intact), 2 usage error,
  ${LIMITED_EXIT_CODE} ratelimit check: limited.`;

/**
 * Runs the `keyward` CLI with `argv` (without the node and script paths) and resolves with the exit code. Never
 * exits the process and never reads process.env: everything comes through `io`.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const ctx: CommandContext = { io, exitCode: 0 };
  try {
    await buildProgram(ctx).parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    const debug = io.env.KEYWARD_DEBUG !== undefined && !["", "0", "false"].includes(io.env.KEYWARD_DEBUG);
    const rendered = renderError(error, { debug });
    if (rendered.text !== "") io.stderr.write(rendered.text);
    return rendered.exitCode;
  }
}

function buildProgram(ctx: CommandContext): Command {
  const { io } = ctx;
  const width = (stream: NodeJS.WritableStream) => {
    const tty = stream as { isTTY?: boolean; columns?: number };
    return tty.isTTY === true && tty.columns !== undefined ? tty.columns : 80;
  };
  // Settings made here are inherited by every subcommand created with .command() below.
  const program = new Command("keyward")
    .description("Keyward: self-hosted API key management. Issue, store, verify and revoke API keys.")
    .version(readVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // runCli prints errors itself, as one line with a code.
      outputError: () => {},
      getOutHelpWidth: () => width(io.stdout),
      getErrHelpWidth: () => width(io.stderr),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText("after", ENVIRONMENT_HELP);

  registerInit(program, ctx);
  registerMigrate(program, ctx);
  registerKms(program, ctx);
  registerServe(program, ctx);
  registerStoreCopy(program, ctx);
  registerUsage(program, ctx);
  registerLogin(program, ctx);
  registerLogout(program, ctx);
  registerWhoami(program, ctx);

  const projects = program
    .command("projects")
    .description("create, list, show, update and delete projects and their key policies");
  registerProjectsCreate(projects, ctx);
  registerProjectsList(projects, ctx);
  registerProjectsShow(projects, ctx);
  registerProjectsUpdate(projects, ctx);
  registerProjectsDelete(projects, ctx);

  const keys = program
    .command("keys")
    .description(
      "issue, inspect, change, rotate, revoke, erase and verify API keys, and adjust their quotas",
    );
  registerKeysCreate(keys, ctx);
  registerKeysList(keys, ctx);
  registerKeysShow(keys, ctx);
  registerKeysUpdate(keys, ctx);
  registerKeysQuota(keys, ctx);
  registerKeysRotate(keys, ctx);
  registerKeysRevoke(keys, ctx);
  registerKeysDelete(keys, ctx);
  registerKeysVerify(keys, ctx);
  registerKeysImport(keys, ctx);
  registerKeysReveal(keys, ctx);

  const ratelimit = program
    .command("ratelimit")
    .description(
      "check limits that are not tied to a key (logins, signups, per IP) and manage their overrides",
    );
  registerRatelimitCheck(ratelimit, ctx);
  const overrides = ratelimit
    .command("overrides")
    .description("give single identifiers their own limit: list, set and delete overrides");
  registerRatelimitOverridesList(overrides, ctx);
  registerRatelimitOverridesSet(overrides, ctx);
  registerRatelimitOverridesDelete(overrides, ctx);

  const tokens = program.command("tokens").description("mint, list and revoke admin tokens");
  registerTokensCreate(tokens, ctx);
  registerTokensList(tokens, ctx);
  registerTokensRevoke(tokens, ctx);

  const webhooks = program
    .command("webhooks")
    .description("register signed webhook endpoints for key events and inspect and retry their deliveries");
  registerWebhooksCreate(webhooks, ctx);
  registerWebhooksList(webhooks, ctx);
  registerWebhooksShow(webhooks, ctx);
  registerWebhooksUpdate(webhooks, ctx);
  registerWebhooksDelete(webhooks, ctx);
  registerWebhooksDeliveries(webhooks, ctx);
  registerWebhooksRetry(webhooks, ctx);

  const secrets = program
    .command("secrets")
    .description("keep upstream credentials in the vault: values go in on stdin and out only by reveal");
  registerSecretsCreate(secrets, ctx);
  registerSecretsList(secrets, ctx);
  registerSecretsShow(secrets, ctx);
  registerSecretsUpdate(secrets, ctx);
  registerSecretsDelete(secrets, ctx);
  registerSecretsReveal(secrets, ctx);

  const identities = program
    .command("identities")
    .description("shared meta and rate limits for all the keys of one owner");
  registerIdentitiesCreate(identities, ctx);
  registerIdentitiesList(identities, ctx);
  registerIdentitiesShow(identities, ctx);
  registerIdentitiesUpdate(identities, ctx);
  registerIdentitiesDelete(identities, ctx);

  const roles = program
    .command("roles")
    .description("named sets of permissions that keys can hold, and the permissions they grant");
  registerRolesCreate(roles, ctx);
  registerRolesList(roles, ctx);
  registerRolesShow(roles, ctx);
  registerRolesDelete(roles, ctx);
  registerRolesSetPermissions(roles, ctx);

  const permissions = program
    .command("permissions")
    .description("the instance's catalogue of permissions, which roles grant");
  registerPermissionsCreate(permissions, ctx);
  registerPermissionsList(permissions, ctx);
  registerPermissionsShow(permissions, ctx);
  registerPermissionsDelete(permissions, ctx);

  const alerts = program
    .command("alerts")
    .description("list and acknowledge anomaly alerts (dead keys used, canary keys used)");
  registerAlertsList(alerts, ctx);
  registerAlertsAck(alerts, ctx);

  const audit = program
    .command("audit")
    .description("read, export and verify the tamper-evident audit log and its signed checkpoints");
  registerAuditList(audit, ctx);
  registerAuditExport(audit, ctx);
  registerAuditVerify(audit, ctx);
  registerAuditCheckpoint(audit, ctx);
  registerAuditCheckpoints(audit, ctx);
  return program;
}

function readVersion(): string {
  // ../../package.json is the server package from both src/cli/ (tests) and dist/cli/ (the built bin).
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}
