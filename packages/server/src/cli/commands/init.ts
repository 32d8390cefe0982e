import { join } from "node:path";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { type Command, Option } from "commander";
import { parseConfig } from "../../config.js";
import type { Instance } from "../../instance.js";
import { MASTER_KEY_FILE } from "../../kms/master-key.js";
import type { Principal } from "../../services/principal.js";
import type { CreatedInvitation } from "../../services/user-service.js";
import type { UserRecord } from "../../store/user-store.js";
import { collectOption } from "../collect-option.js";
import type { CommandContext } from "../command-context.js";
import { Output } from "../output.js";
import { readSecretFromStdin } from "../read-secret-from-stdin.js";
import { printSelfSigned, selfSignedJson } from "../self-signed-output.js";

interface InitOptions {
  dataDir?: string;
  ownerEmail?: string;
  ownerName?: string;
  inviteOwner?: string;
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
    .option(
      "--owner-email <email>",
      "also create the first admin user, an owner, with the password read from standard input",
    )
    .option("--owner-name <name>", "the owner's display name (default: the email's local part)")
    .addOption(
      new Option(
        "--invite-owner <email>",
        "instead, print an invitation (shown once, valid 72 hours) with which that person becomes the first owner",
      ).conflicts(["ownerEmail", "ownerName"]),
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
      // Read before the store exists, so an empty or refused password leaves nothing half made.
      const ownerPassword =
        options.ownerEmail === undefined
          ? null
          : await readSecretFromStdin(ctx.io, {
              what: "owner's password",
              example: "keyward init --owner-email ada@example.com < password.txt",
              keepSpaces: true,
            });
      // Likewise: a mistyped address must fail before a root token is made that would never be printed.
      if (options.inviteOwner !== undefined) {
        (await import("../../services/user-service.js")).normalizeEmail(options.inviteOwner);
      }
      const instance = await openInstance({ config });
      try {
        const out = new Output(ctx.io);
        const { rootToken } = instance;
        const owner =
          options.ownerEmail === undefined || ownerPassword === null
            ? null
            : await createFirstOwner(instance, {
                email: options.ownerEmail,
                name: options.ownerName ?? options.ownerEmail.split("@")[0] ?? options.ownerEmail,
                password: ownerPassword,
              });
        const invitation =
          options.inviteOwner === undefined ? null : await inviteFirstOwner(instance, options.inviteOwner);
        if (options.json === true) {
          out.json({
            ...(rootToken === null ? { rootToken: null, alreadyInitialized: true } : { rootToken }),
            ...(owner === null ? {} : { owner: { id: owner.id, email: owner.email } }),
            ...(invitation === null
              ? {}
              : {
                  invitation: {
                    id: invitation.invitation.id,
                    email: invitation.invitation.email,
                    expiresAt: new Date(invitation.invitation.expiresAt).toISOString(),
                  },
                  token: invitation.token,
                }),
            ...(tls === null ? {} : { tls: selfSignedJson(tls) }),
          });
          return;
        }
        if (owner !== null)
          out.line(`Owner ${owner.email} (${owner.id}) created: log in with POST /v1/auth/login.`);
        if (invitation !== null) {
          const { email, expiresAt } = invitation.invitation;
          out.line(
            `Owner invitation for ${email} (expires ${new Date(expiresAt).toISOString()}): POST ` +
              `/v1/auth/accept-invitation with {token, name, password}; token: ${invitation.token}`,
          );
          out.line("The invitation token will NOT be shown again; it works once.");
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

/** `keyward init` itself, as the audit log names it: every permission, every project, no second factor. */
const INIT_PRINCIPAL: Principal = {
  tokenId: "keyward-init",
  tokenName: "keyward init",
  permissions: ["*"],
  projectIds: null,
};

/** CONFLICT once any user exists: later users are created (or invited) by an owner or an admin. */
async function refuseOnceUsersExist(instance: Instance): Promise<void> {
  if ((await instance.stores.users.countUsers()) > 0) {
    throw new KeywardError(
      "CONFLICT",
      "Users exist already: an owner or admin creates the others (POST /v1/users).",
    );
  }
}

/** Creates the first admin user, an owner with every permission, as `keyward init` itself. */
async function createFirstOwner(
  instance: Instance,
  input: { email: string; name: string; password: string },
): Promise<UserRecord> {
  await refuseOnceUsersExist(instance);
  return instance.users.createUser(INIT_PRINCIPAL, { ...input, role: "owner" });
}

/** Invites the first owner (instance-wide, 72 hours), as `keyward init` itself; the token is printed once. */
async function inviteFirstOwner(instance: Instance, email: string): Promise<CreatedInvitation> {
  await refuseOnceUsersExist(instance);
  return instance.users.invite(INIT_PRINCIPAL, { email, role: "owner", projectIds: null });
}
