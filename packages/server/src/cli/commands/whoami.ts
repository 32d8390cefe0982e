import type { Command } from "commander";
import { type ApiUser, getMe } from "../auth-api.js";
import { credentialsFromEnv } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";

// Session secrets carry this prefix (SESSION_PREFIX of the auth service); admin tokens carry `kwr`.
const SESSION_SECRET_START = "kws_";

/** `keyward whoami`: who the HTTP commands act as, the logged-in user or the admin token in KEYWARD_TOKEN. */
export function registerWhoami(program: Command, ctx: CommandContext): void {
  addHttpOptions(
    program
      .command("whoami")
      .description(
        "show who the HTTP commands act as: the admin token in KEYWARD_TOKEN, or the logged-in user",
      ),
  ).action(async (options: HttpOptions) => {
    const credentials = credentialsFromEnv(ctx.io, options.url);
    const out = new Output(ctx.io);
    if (credentials.source === "KEYWARD_TOKEN" && !credentials.token.startsWith(SESSION_SECRET_START)) {
      // An admin token has no account to show, and no route tells a token's own name without tokens:read.
      if (options.json === true) {
        out.json({ source: "KEYWARD_TOKEN", kind: "admin_token", url: credentials.baseUrl });
      } else {
        out.line(
          `An admin token from KEYWARD_TOKEN, for ${credentials.baseUrl} (admin tokens have no account).`,
        );
      }
      return;
    }
    const user = await getMe(credentials.baseUrl, credentials.token);
    const session =
      credentials.source === "session"
        ? {
            id: credentials.session.sessionId,
            expiresAt: credentials.session.expiresAt,
            file: credentials.sessionFile,
          }
        : null;
    if (options.json === true) {
      out.json({ source: credentials.source, kind: "user", url: credentials.baseUrl, user, session });
      return;
    }
    out.fields([
      ["user", user.email],
      ["name", user.name],
      ["id", user.id],
      ["roles", user.roles.map(describeRole)],
      ["2fa", user.twoFactorEnabled ? "on" : "off"],
      ["server", credentials.baseUrl],
      ["from", session === null ? "KEYWARD_TOKEN (a session secret)" : session.file],
      ["session", session?.id ?? null],
      ["expires", session?.expiresAt ?? null],
    ]);
  });
}

function describeRole(binding: ApiUser["roles"][number]): string {
  return binding.projectId === null
    ? `${binding.role} (instance-wide)`
    : `${binding.role} in ${binding.projectId}`;
}
