import type { Command } from "commander";
import { DEFAULT_URL } from "./client-from-env.js";

/** The options every HTTP command has. */
export interface HttpOptions {
  url?: string;
  json?: boolean;
}

/** Adds `--url` and `--json` to a command that talks to a Keyward server. */
export function addHttpOptions(command: Command): Command {
  return command
    .option("--url <url>", `Keyward server URL (default: $KEYWARD_URL, else ${DEFAULT_URL})`)
    .option("--json", "print the result as one line of JSON");
}
