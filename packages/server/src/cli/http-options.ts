import type { Command } from "commander";
import { DEFAULT_URL } from "./client-from-env.js";

/** The options every HTTP command has. */
export interface HttpOptions {
  url?: string;
  json?: boolean;
}

/** The options of an HTTP command whose own `--url` names something else (a webhook endpoint). */
export interface ServerHttpOptions {
  server?: string;
  json?: boolean;
}

const SERVER_URL_HELP = `Keyward server URL (default: $KEYWARD_URL, else ${DEFAULT_URL})`;
const JSON_HELP = "print the result as one line of JSON";

/** Adds `--url` and `--json` to a command that talks to a Keyward server. */
export function addHttpOptions(command: Command): Command {
  return command.option("--url <url>", SERVER_URL_HELP).option("--json", JSON_HELP);
}

/**
 * Adds `--server` and `--json` to a command whose `--url` is a webhook endpoint. The server option gets its own
 * name rather than a guess between the two: mistaking one for the other would send the admin token to the
 * webhook receiver.
 */
export function addServerHttpOptions(command: Command): Command {
  return command.option("--server <url>", SERVER_URL_HELP).option("--json", JSON_HELP);
}
