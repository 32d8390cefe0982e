import { KeywardApiError } from "@keyward/client/keyward-api-error.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import type { Command } from "commander";
import { type CliLogin, postCliLogin } from "../auth-api.js";
import { DEFAULT_URL, normalizeServerUrl } from "../client-from-env.js";
import type { CommandContext } from "../command-context.js";
import { addHttpOptions, type HttpOptions } from "../http-options.js";
import { Output } from "../output.js";
import { readSecretFromStdin } from "../read-secret-from-stdin.js";
import { sessionFilePath, writeSessionFile } from "../session-file.js";

interface LoginOptions extends HttpOptions {
  email: string;
  code?: string;
}

/**
 * `keyward login --email EMAIL [--code CODE]`: logs an admin user in with the password from standard input and
 * keeps the session (mode 0600) for the HTTP commands to use when KEYWARD_TOKEN is not set.
 */
export function registerLogin(program: Command, ctx: CommandContext): void {
  addHttpOptions(
    program
      .command("login")
      .description(
        "log in as an admin user (password on standard input); the HTTP commands then use the session when KEYWARD_TOKEN is not set",
      )
      .requiredOption("--email <email>", "the account's email address")
      .option(
        "--code <code>",
        "the current code of your authenticator app, or a recovery code (accounts with two-factor authentication)",
      ),
  ).action(async (options: LoginOptions) => {
    const { io } = ctx;
    const sessionFile = sessionFilePath(io.env);
    if (sessionFile === null) {
      throw new KeywardError(
        "CONFIG_INVALID",
        "Nowhere to keep the session: set KEYWARD_SESSION_FILE, XDG_CONFIG_HOME or HOME.",
      );
    }
    const baseUrl = normalizeServerUrl(options.url ?? (io.env.KEYWARD_URL || DEFAULT_URL));
    // Never argv: other users of the machine can read it, and shell history keeps it.
    const password = await readSecretFromStdin(io, {
      what: "password",
      example: `keyward login --email ${options.email} < password.txt`,
      keepSpaces: true,
    });
    const login = await logIn(baseUrl, options, password);
    writeSessionFile(sessionFile, {
      url: baseUrl,
      token: login.token,
      email: login.user.email,
      sessionId: login.session.id,
      expiresAt: login.session.expiresAt,
    });
    if (io.env.KEYWARD_TOKEN !== undefined && io.env.KEYWARD_TOKEN.trim() !== "") {
      io.stderr.write(
        "Note: KEYWARD_TOKEN is set and wins over this session; unset it to act as this user.\n",
      );
    }
    const out = new Output(io);
    // The session secret stays in the file: it is printed nowhere, not even with --json.
    if (options.json === true) {
      out.json({ url: baseUrl, sessionFile, user: login.user, session: login.session });
    } else {
      out.line(
        `Logged in as ${login.user.email} until ${login.session.expiresAt}; session ${login.session.id}.`,
      );
    }
  });
}

async function logIn(baseUrl: string, options: LoginOptions, password: string): Promise<CliLogin> {
  try {
    return await postCliLogin(baseUrl, {
      email: options.email,
      password,
      ...(options.code === undefined ? {} : { code: options.code }),
    });
  } catch (error) {
    // The server's words are for a browser form; a CLI user needs the option to add.
    if (error instanceof KeywardApiError && error.code === "MFA_REQUIRED" && options.code === undefined) {
      throw new KeywardApiError({
        status: error.status,
        code: error.code,
        detail:
          `${options.email} has two-factor authentication: run keyward login again with --code <the code of ` +
          "your authenticator app> (or a recovery code).",
        requestId: error.requestId,
      });
    }
    throw error;
  }
}
