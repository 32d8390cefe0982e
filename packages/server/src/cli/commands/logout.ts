import { KeywardApiError } from "@keyward/client/keyward-api-error.js";
import type { Command } from "commander";
import { postLogout } from "../auth-api.js";
import type { CommandContext } from "../command-context.js";
import { Output } from "../output.js";
import { deleteSessionFile, isSessionExpired, readSessionFile, sessionFilePath } from "../session-file.js";

/** `keyward logout`: ends the session `keyward login` stored, on its server, and deletes the session file. */
export function registerLogout(program: Command, ctx: CommandContext): void {
  program
    .command("logout")
    .description("end the session keyward login stored and delete its file (KEYWARD_TOKEN is left alone)")
    .option("--json", "print the result as one line of JSON")
    .action(async (options: { json?: boolean }) => {
      const { io } = ctx;
      const out = new Output(io);
      const sessionFile = sessionFilePath(io.env);
      const session = sessionFile === null ? null : readSessionFile(sessionFile);
      if (sessionFile === null || session === null) {
        if (options.json === true) out.json({ loggedOut: false, sessionFile });
        else out.line("Not logged in: there is no session file.");
        return;
      }
      let endedAlready = isSessionExpired(session, Date.now());
      if (!endedAlready) {
        try {
          // The secret goes only to the server that issued it, whatever --url or KEYWARD_URL say.
          await postLogout(session.url, session.token);
        } catch (error) {
          // 401: the session ended meanwhile (idle timeout, revoked); there is nothing left to end.
          if (error instanceof KeywardApiError && error.code === "UNAUTHORIZED") endedAlready = true;
          else throw keptFileError(error, sessionFile);
        }
      }
      deleteSessionFile(sessionFile);
      if (options.json === true) {
        out.json({
          loggedOut: true,
          email: session.email,
          sessionId: session.sessionId,
          endedAlready,
          sessionFile,
        });
      } else if (endedAlready) {
        out.line(
          `Session ${session.sessionId} of ${session.email} had ended already; deleted ${sessionFile}.`,
        );
      } else {
        out.line(`Logged out ${session.email}; session ${session.sessionId} ended.`);
      }
    });
}

/** The server did not end the session: keep the file so that the user can retry, and say so. */
function keptFileError(error: unknown, sessionFile: string): unknown {
  if (!(error instanceof KeywardApiError)) return error;
  return new KeywardApiError({
    status: error.status,
    code: error.code,
    detail:
      `${error.detail} The session is still open and ${sessionFile} is kept: run keyward logout again, or ` +
      "delete the file (the session then ends on its own after 30 minutes unused).",
    requestId: error.requestId,
    retryAfterSeconds: error.retryAfterSeconds,
    cause: error,
  });
}
