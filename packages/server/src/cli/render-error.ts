import { KeywardApiError } from "@keyward/client/keyward-api-error.js";
import { KeywardError } from "@keyward/core/keyward-error.js";
import { CommanderError } from "commander";

/** Exit code of a run that failed because of how the CLI was called. */
export const USAGE_EXIT_CODE = 2;

/** What to print (nothing, or one line for stderr) and which exit code to return for an error. */
export interface RenderedError {
  text: string;
  exitCode: number;
}

/**
 * Renders an error as `error: <code>: <detail>` on one line. Expected errors (API problems, KeywardError, usage,
 * system errors such as EADDRINUSE) never show a stack; unexpected ones show it only when `debug` is set.
 */
export function renderError(error: unknown, options: { debug: boolean }): RenderedError {
  if (error instanceof CommanderError) {
    // Commander throws to stop after printing help or the version; those runs succeeded.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version")
      return { text: "", exitCode: 0 };
    if (error.code === "commander.help")
      return { text: "", exitCode: error.exitCode === 0 ? 0 : USAGE_EXIT_CODE };
    const message = error.message.replace(/^error: /, "");
    return { text: line("USAGE_ERROR", `${message} (see --help)`), exitCode: USAGE_EXIT_CODE };
  }
  if (error instanceof KeywardApiError) {
    const request = error.requestId !== null && error.status >= 500 ? ` (request ${error.requestId})` : "";
    return { text: line(error.code, `${error.detail}${request}`), exitCode: 1 };
  }
  if (error instanceof KeywardError) return { text: line(error.code, error.message), exitCode: 1 };
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === "string" && /^E[A-Z0-9_]+$/.test(code)) {
    return { text: line(code, error.message), exitCode: 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack =
    options.debug && error instanceof Error && error.stack !== undefined ? `${error.stack}\n` : "";
  const hint = options.debug ? "" : " (set KEYWARD_DEBUG=1 for the stack)";
  return { text: `${line("INTERNAL_ERROR", `${message}${hint}`)}${stack}`, exitCode: 1 };
}

function line(code: string, detail: string): string {
  return `error: ${code}: ${detail.replace(/\s*\n\s*/g, " ").trim()}\n`;
}
